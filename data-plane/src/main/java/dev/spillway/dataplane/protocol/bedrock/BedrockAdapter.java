package dev.spillway.dataplane.protocol.bedrock;

import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.ChatStreamDecoder;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.protocol.ProviderAdapter;
import dev.spillway.dataplane.protocol.canonical.CanonicalChunks;
import dev.spillway.dataplane.protocol.canonical.CanonicalParts;
import dev.spillway.dataplane.protocol.framing.SseEvent;
import dev.spillway.dataplane.provider.ProviderRuntime;
import dev.spillway.dataplane.provider.Timeouts;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.time.Clock;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Amazon Bedrock's Converse API ({@code POST {base}/model/{modelId}/converse}) and ConverseStream
 * ({@code …/converse-stream}, answered in the binary AWS event-stream framing). One API for every Bedrock model that
 * takes messages; model-specific quirks (which tool choices a model accepts, for example) are Bedrock's to report.
 *
 * <p>Auth: SigV4 (service {@code bedrock}, {@code settings.region}) with {@code settings.access_key_id}, the key
 * value as secret access key and an optional {@code settings.session_token}; or, when there is no access key id and
 * the key is a Bedrock API key ({@code ABSK…} or {@code bedrock-api-key-…}), {@code Authorization: Bearer}. A key
 * value of the form {@code <access key id>:<secret>} also works, so that several weighted keys can carry their own
 * ids.
 *
 * <p>This class talks to Bedrock: URLs, signing, headers and timeouts. The bodies are translated by
 * {@link BedrockRequestTranslator}, the answers by {@link BedrockResponseTranslator} and {@link BedrockStreamDecoder};
 * see docs/providers.md for exactly what is mapped, emulated and dropped.
 */
public final class BedrockAdapter implements ProviderAdapter {
  static final String DEFAULT_REGION = "us-east-1";

  private static final Pattern ACCESS_KEY_ID = Pattern.compile("(?:AKIA|ASIA)[A-Z0-9]{12,124}");
  private static final Pattern REGION_HOST =
      Pattern.compile("bedrock-runtime(?:-fips)?\\.([a-z0-9-]+)\\.amazonaws\\.com");

  private final UpstreamRequest.Timeouts defaults;
  private final BedrockSigner signer;
  private final Clock clock;
  private final Supplier<String> ids;

  public BedrockAdapter(UpstreamRequest.Timeouts defaults) {
    this(defaults, Clock.systemUTC(), () -> "chatcmpl-" + CanonicalParts.randomId(24));
  }

  /** With a fixed clock (signature date, {@code created}) and ids, for golden-file tests. */
  BedrockAdapter(UpstreamRequest.Timeouts defaults, Clock clock, Supplier<String> ids) {
    this.defaults = defaults;
    this.clock = clock;
    this.signer = new BedrockSigner(clock);
    this.ids = ids;
  }

  @Override
  public boolean speaks(InboundApi api) {
    return false;
  }

  @Override
  public UpstreamRequest passthrough(ProviderRuntime provider, String model, ChatCall call) {
    throw new UnsupportedOperationException("bedrock speaks no client API natively");
  }

  @Override
  public UpstreamRequest chat(ProviderRuntime provider, String model, ChatCall call) {
    ObjectNode body = BedrockRequestTranslator.translate(call.canonical(), model);
    URI uri = URI.create(provider.baseUri() + "/model/" + pathSegment(model)
        + (call.stream() ? "/converse-stream" : "/converse"));
    byte[] bytes = Json.bytes(body);
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    headers.set(HttpHeaderNames.ACCEPT, call.stream() ? "application/vnd.amazon.eventstream" : "application/json");
    authorize(provider, uri, headers, bytes);
    // Added after signing: proxies and the AWS front end may rewrite it, so it must not be part of the signature.
    headers.set(HttpHeaderNames.USER_AGENT, "spillway");
    return new UpstreamRequest(HttpMethod.POST, uri, headers, Unpooled.wrappedBuffer(bytes),
        Timeouts.of(provider, defaults));
  }

  private void authorize(ProviderRuntime provider, URI uri, HttpHeaders headers, byte[] body) {
    ProviderRuntime.Credential credential = provider.pickCredential();
    if (credential == null) {
      throw new IllegalStateException("bedrock provider " + provider.name() + " has no key");
    }
    String secret = credential.secret();
    String accessKeyId = provider.config().setting("access_key_id", "").strip();
    if (accessKeyId.isEmpty()) {
      int colon = secret.indexOf(':');
      if (colon > 0 && ACCESS_KEY_ID.matcher(secret.substring(0, colon)).matches()) {
        accessKeyId = secret.substring(0, colon);
        secret = secret.substring(colon + 1);
      } else if (isBedrockApiKey(secret)) {
        headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + secret);
        return;
      } else {
        throw new IllegalStateException("bedrock provider " + provider.name() + " key " + credential.name()
            + " needs settings.access_key_id (SigV4), the form <access key id>:<secret>, or a Bedrock API key");
      }
    }
    signer.sign(uri, headers, body, region(provider),
        BedrockSigner.credentials(accessKeyId, secret, provider.config().setting("session_token", null)));
  }

  /** Long-term Bedrock API keys start with {@code ABSK}, short-term ones with {@code bedrock-api-key-}. */
  static boolean isBedrockApiKey(String key) {
    return key.startsWith("ABSK") || key.startsWith("bedrock-api-key-");
  }

  /** {@code settings.region}, else the region in a standard endpoint host, else us-east-1. */
  static String region(ProviderRuntime provider) {
    String region = provider.config().setting("region", "").strip();
    if (!region.isEmpty()) {
      return region;
    }
    Matcher host = REGION_HOST.matcher(provider.baseUri().getHost());
    return host.matches() ? host.group(1) : DEFAULT_REGION;
  }

  /** Model ids hold {@code :} and ARNs {@code /}: the id is one percent-encoded path segment. */
  static String pathSegment(String modelId) {
    return CanonicalParts.pathSegment(modelId);
  }

  @Override
  public ObjectNode chatResponse(JsonNode body, String model) {
    return BedrockResponseTranslator.toCanonical(body, model, ids.get(), clock.millis() / 1000);
  }

  @Override
  public ChatStreamDecoder newStreamDecoder(String model) {
    return new BedrockStreamDecoder(new CanonicalChunks(ids.get(), clock.millis() / 1000, model));
  }

  @Override
  public Usage nativeUsage(JsonNode body) {
    return Usage.NONE;
  }

  @Override
  public Usage nativeStreamUsage(SseEvent event) {
    return null;
  }
}
