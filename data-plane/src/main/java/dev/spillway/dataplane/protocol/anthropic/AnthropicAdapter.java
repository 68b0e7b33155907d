package dev.spillway.dataplane.protocol.anthropic;

import dev.spillway.dataplane.protocol.canonical.CanonicalExtensions;
import dev.spillway.dataplane.protocol.ProviderAdapter;
import dev.spillway.dataplane.provider.ProviderRuntime;
import dev.spillway.dataplane.provider.Timeouts;
import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.ChatStreamDecoder;
import dev.spillway.dataplane.protocol.framing.SseEvent;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code anthropic} provider: {@code POST {base_url}/v1/messages} with {@code x-api-key} and
 * {@code anthropic-version}. Clients of the Anthropic Messages API pass through unchanged but for {@code model},
 * with their own {@code anthropic-version} and {@code anthropic-beta}; other clients are translated from the
 * canonical form. Settings: {@code anthropic_version} (default {@value AnthropicMapping#DEFAULT_VERSION}),
 * {@code anthropic_beta} (comma list, added to the client's), {@code default_max_tokens} (default
 * {@value AnthropicRequestTranslator#DEFAULT_MAX_TOKENS}, for requests that name none).
 */
public final class AnthropicAdapter implements ProviderAdapter {
  private static final byte[] MESSAGE_START = "\"message_start\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MESSAGE_DELTA = "\"message_delta\"".getBytes(StandardCharsets.US_ASCII);

  private final UpstreamRequest.Timeouts defaults;

  public AnthropicAdapter(UpstreamRequest.Timeouts defaults) {
    this.defaults = defaults;
  }

  @Override
  public boolean speaks(InboundApi api) {
    return api == InboundApi.ANTHROPIC_MESSAGES;
  }

  @Override
  public UpstreamRequest chat(ProviderRuntime provider, String model, ChatCall call) {
    ObjectNode body = AnthropicRequestTranslator.translate(call.canonical(), model, call.stream(),
        defaultMaxTokens(provider));
    return request(provider, "/messages", body, call, call.stream());
  }

  @Override
  public UpstreamRequest passthrough(ProviderRuntime provider, String model, ChatCall call) {
    ObjectNode body = call.original();
    body.put("model", model);
    return request(provider, "/messages", body, call, call.stream());
  }

  @Override
  public UpstreamRequest countTokens(ProviderRuntime provider, String model, ChatCall call) {
    ObjectNode body = call.original().deepCopy();
    body.put("model", model);
    return request(provider, "/messages/count_tokens", body, call, false);
  }

  @Override
  public long countTokensResponse(JsonNode body) {
    JsonNode tokens = body.path("input_tokens");
    if (!tokens.isIntegralNumber()) {
      throw new IllegalArgumentException("the answer has no input_tokens");
    }
    return tokens.asLong();
  }

  private UpstreamRequest request(ProviderRuntime provider, String path, ObjectNode body, ChatCall call,
      boolean stream) {
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    headers.set(HttpHeaderNames.ACCEPT, stream ? "text/event-stream" : "application/json");
    headers.set(HttpHeaderNames.USER_AGENT, "spillway");
    ProviderRuntime.Credential credential = provider.pickCredential();
    if (credential != null) {
      headers.set("x-api-key", credential.secret());
    }
    JsonNode clientVersion = call.canonical().path(CanonicalExtensions.ANTHROPIC_VERSION);
    headers.set("anthropic-version", clientVersion.isString() ? clientVersion.asString()
        : provider.config().setting("anthropic_version", AnthropicMapping.DEFAULT_VERSION));
    Set<String> betas = new LinkedHashSet<>();
    for (JsonNode beta : call.canonical().path(CanonicalExtensions.ANTHROPIC_BETA)) {
      betas.add(beta.asString(""));
    }
    for (String beta : provider.config().setting("anthropic_beta", "").split(",")) {
      betas.add(beta.strip());
    }
    betas.remove("");
    if (!betas.isEmpty()) {
      headers.set("anthropic-beta", String.join(",", betas));
    }
    return new UpstreamRequest(HttpMethod.POST, uri(provider, path), headers,
        Unpooled.wrappedBuffer(Json.bytes(body)), Timeouts.of(provider, defaults));
  }

  /** The API lives under {@code /v1}; a base URL configured with the {@code /v1} suffix works too. */
  static URI uri(ProviderRuntime provider, String path) {
    String base = provider.baseUri().toString();
    return URI.create(base.endsWith("/v1") ? base + path : base + "/v1" + path);
  }

  private static int defaultMaxTokens(ProviderRuntime provider) {
    try {
      int value = Integer.parseInt(provider.config().setting("default_max_tokens", ""));
      return value > 0 ? value : AnthropicRequestTranslator.DEFAULT_MAX_TOKENS;
    } catch (NumberFormatException e) {
      return AnthropicRequestTranslator.DEFAULT_MAX_TOKENS;
    }
  }

  @Override
  public ObjectNode chatResponse(JsonNode body, String model) {
    return AnthropicResponseTranslator.toCanonical(body, model);
  }

  @Override
  public ChatStreamDecoder newStreamDecoder(String model) {
    return new AnthropicStreamDecoder(model);
  }

  @Override
  public Usage nativeUsage(JsonNode body) {
    return AnthropicMapping.usage(body.get("usage"));
  }

  /** Input tokens arrive in {@code message_start}, the (cumulative) output count in {@code message_delta}. */
  @Override
  public Usage nativeStreamUsage(SseEvent event) {
    String name = event.event();
    boolean usageEvent = name != null && !name.isEmpty()
        // Anthropic names every event; look into the data only for a stream that does not.
        ? name.equals("message_start") || name.equals("message_delta")
        : event.dataContains(MESSAGE_START) || event.dataContains(MESSAGE_DELTA);
    if (!usageEvent) {
      return null;
    }
    try {
      JsonNode json = Json.parse(event.dataBytes());
      String type = json.path("type").asString("");
      JsonNode usage = switch (type) {
        case "message_start" -> json.path("message").get("usage");
        case "message_delta" -> json.get("usage");
        default -> null;
      };
      return usage == null || !usage.isObject() ? null : AnthropicMapping.usage(usage);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
