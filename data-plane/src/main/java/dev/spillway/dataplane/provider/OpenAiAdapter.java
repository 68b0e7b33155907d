package dev.spillway.dataplane.provider;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.api.ChatCall;
import dev.spillway.dataplane.api.InboundApi;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.stream.ChatStreamDecoder;
import dev.spillway.dataplane.stream.OpenAiChatStreamDecoder;
import dev.spillway.dataplane.stream.SseEvent;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The OpenAI chat completions family: {@code openai}, {@code azure-openai} (deployment URL, {@code api-version},
 * {@code api-key} header), {@code openai-compatible} (any base URL; Groq, Mistral, Together, Fireworks, DeepSeek,
 * OpenRouter, xAI, Ollama, vLLM) and the in-process {@code mock}. Canonical requests are already in this format, so
 * "translation" only strips Spillway's extension fields.
 */
public final class OpenAiAdapter implements ProviderAdapter {
  static final String EXTENSION_PREFIX = "x_spillway_";
  private static final URI MOCK_URI = URI.create("http://mock.invalid/v1");
  private static final String DEFAULT_AZURE_API_VERSION = "2024-10-21";

  private final UpstreamRequest.Timeouts defaults;

  public OpenAiAdapter(UpstreamRequest.Timeouts defaults) {
    this.defaults = defaults;
  }

  @Override
  public boolean speaks(InboundApi api) {
    return api == InboundApi.OPENAI_CHAT;
  }

  @Override
  public UpstreamRequest chat(ProviderRuntime provider, String model, ChatCall call) {
    ObjectNode body = call.canonical().deepCopy();
    List<String> extensions = new ArrayList<>();
    body.propertyNames().forEach(name -> {
      if (name.startsWith(EXTENSION_PREFIX)) {
        extensions.add(name);
      }
    });
    extensions.forEach(body::remove);
    return request(provider, model, body, call.stream());
  }

  @Override
  public UpstreamRequest passthrough(ProviderRuntime provider, String model, ChatCall call) {
    return request(provider, model, call.original(), call.stream());
  }

  private UpstreamRequest request(ProviderRuntime provider, String model, ObjectNode body, boolean stream) {
    body.put("model", model);
    if (stream && asksForUsage(provider.type())) {
      // Usage is needed for accounting; the client only sees the usage chunk if it asked for it.
      ObjectNode options = body.path("stream_options").isObject() ? (ObjectNode) body.get("stream_options")
          : body.putObject("stream_options");
      options.put("include_usage", true);
    }
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    headers.set(HttpHeaderNames.ACCEPT, stream ? "text/event-stream" : "application/json");
    headers.set(HttpHeaderNames.USER_AGENT, "spillway");
    ProviderRuntime.Credential credential = provider.pickCredential();
    URI uri;
    switch (provider.type()) {
      case AZURE_OPENAI -> {
        if (credential != null) {
          headers.set("api-key", credential.secret());
        }
        String deployment = provider.config().setting("deployment", model);
        String version = provider.config().setting("api_version", DEFAULT_AZURE_API_VERSION);
        uri = URI.create(provider.baseUri() + "/openai/deployments/" + encode(deployment)
            + "/chat/completions?api-version=" + encode(version));
      }
      case MOCK -> {
        copySetting(provider, "latency_ms", MockUpstream.LATENCY_HEADER, headers);
        copySetting(provider, "stream_chunks", MockUpstream.CHUNKS_HEADER, headers);
        copySetting(provider, "chunk_delay_ms", MockUpstream.CHUNK_DELAY_HEADER, headers);
        copySetting(provider, "reply", MockUpstream.REPLY_HEADER, headers);
        uri = URI.create(MOCK_URI + "/chat/completions");
      }
      default -> {
        if (credential != null) {
          String header = provider.config().setting("auth_header", "Authorization");
          String scheme = provider.config().setting("auth_scheme", "Bearer");
          headers.set(header, scheme.isEmpty() ? credential.secret() : scheme + " " + credential.secret());
        }
        if (provider.type() == ProviderType.OPENAI) {
          copySetting(provider, "organization", "OpenAI-Organization", headers);
          copySetting(provider, "project", "OpenAI-Project", headers);
        }
        uri = URI.create(provider.baseUri() + "/chat/completions");
      }
    }
    return new UpstreamRequest(HttpMethod.POST, uri, headers, Unpooled.wrappedBuffer(Json.bytes(body)),
        Timeouts.of(provider, defaults));
  }

  /** OpenAI, Azure and the mock accept {@code stream_options}; arbitrary compatible servers may not. */
  private static boolean asksForUsage(ProviderType type) {
    return type == ProviderType.OPENAI || type == ProviderType.AZURE_OPENAI || type == ProviderType.MOCK;
  }

  @Override
  public ObjectNode chatResponse(JsonNode body, String model) {
    if (!body.isObject() || !body.path("choices").isArray()) {
      throw new IllegalArgumentException("not a chat completion");
    }
    return (ObjectNode) body;
  }

  @Override
  public ChatStreamDecoder newStreamDecoder(String model) {
    return new OpenAiChatStreamDecoder();
  }

  @Override
  public Usage nativeUsage(JsonNode body) {
    return Usage.fromOpenAi(body.get("usage"));
  }

  @Override
  public Usage nativeStreamUsage(SseEvent event) {
    if (!event.data().contains("\"usage\"")) {
      return null;
    }
    try {
      JsonNode usage = Json.parse(event.data().getBytes(StandardCharsets.UTF_8)).get("usage");
      return usage == null || usage.isNull() ? null : Usage.fromOpenAi(usage);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private static void copySetting(ProviderRuntime provider, String setting, String header, HttpHeaders headers) {
    String value = provider.config().settings().get(setting);
    if (value != null && !value.isEmpty()) {
      headers.set(header, value);
    }
  }
}
