package dev.spillway.dataplane.protocol.openai;

import dev.spillway.dataplane.mock.MockUpstream;
import dev.spillway.dataplane.protocol.ProviderAdapter;
import dev.spillway.dataplane.provider.ProviderRuntime;
import dev.spillway.dataplane.provider.Timeouts;
import dev.spillway.config.ProviderType;
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
 *
 * <p>Besides chat completions the family speaks more OpenAI APIs natively, depending on the type: the Responses
 * API ({@code openai} only: Azure serves it on a different, non-deployment URL surface), legacy completions
 * ({@code openai}, {@code azure-openai}, {@code openai-compatible}) and embeddings (all four). A native call goes to
 * the API's own path with the client's body.
 */
public final class OpenAiAdapter implements ProviderAdapter {
  static final String EXTENSION_PREFIX = "x_spillway_";
  private static final URI MOCK_URI = URI.create("http://mock.invalid/v1");
  private static final String DEFAULT_AZURE_API_VERSION = "2024-10-21";

  private static final java.util.Set<String> USAGE_FIELDS = java.util.Set.of("usage");

  private final UpstreamRequest.Timeouts defaults;
  private final java.util.concurrent.ConcurrentHashMap<String, URI> uris =
      new java.util.concurrent.ConcurrentHashMap<>();

  public OpenAiAdapter(UpstreamRequest.Timeouts defaults) {
    this.defaults = defaults;
  }

  @Override
  public boolean speaks(InboundApi api) {
    return api == InboundApi.OPENAI_CHAT;
  }

  @Override
  public boolean speaks(InboundApi api, ProviderRuntime provider) {
    ProviderType type = provider.type();
    return switch (api) {
      case OPENAI_CHAT, OPENAI_EMBEDDINGS -> true;
      case OPENAI_RESPONSES -> type == ProviderType.OPENAI;
      case OPENAI_COMPLETIONS -> type == ProviderType.OPENAI || type == ProviderType.AZURE_OPENAI
          || type == ProviderType.OPENAI_COMPATIBLE;
      default -> false;
    };
  }

  @Override
  public UpstreamRequest chat(ProviderRuntime provider, String model, ChatCall call) {
    ObjectNode body = call.canonical().deepCopy();
    stripExtensions(body);
    JsonNode messages = body.get("messages");
    if (messages != null && messages.isArray()) {
      for (JsonNode message : messages) {
        if (message.isObject()) {
          stripExtensions((ObjectNode) message);
          // Reasoning text from Anthropic/Bedrock history is not part of OpenAI's request schema.
          ((ObjectNode) message).remove("reasoning_content");
        }
      }
    }
    if (provider.type() == ProviderType.OPENAI || provider.type() == ProviderType.AZURE_OPENAI) {
      // Translated requests carry max_tokens; OpenAI's reasoning models accept only max_completion_tokens,
      // and every current OpenAI chat model accepts it, so send that name.
      JsonNode maxTokens = body.remove("max_tokens");
      if (maxTokens != null && !body.has("max_completion_tokens")) {
        body.set("max_completion_tokens", maxTokens);
      }
    }
    return request(provider, model, body, call.stream(), InboundApi.OPENAI_CHAT);
  }

  /** Spillway's {@code x_spillway_*} extension fields never reach a provider. */
  private static void stripExtensions(ObjectNode node) {
    List<String> extensions = new ArrayList<>();
    node.propertyNames().forEach(name -> {
      if (name.startsWith(EXTENSION_PREFIX)) {
        extensions.add(name);
      }
    });
    extensions.forEach(node::remove);
  }

  @Override
  public UpstreamRequest passthrough(ProviderRuntime provider, String model, ChatCall call) {
    return request(provider, model, call.original(), call.stream(), call.api());
  }

  @Override
  public UpstreamRequest embeddings(ProviderRuntime provider, String model, ObjectNode request) {
    if (provider.type() == ProviderType.OPENAI_COMPATIBLE) {
      // Not every compatible server knows base64; floats always work and the proxy encodes them if asked.
      request.remove("encoding_format");
    }
    return request(provider, model, request, false, InboundApi.OPENAI_EMBEDDINGS);
  }

  @Override
  public ObjectNode embeddingsResponse(JsonNode body, String model) {
    if (!body.isObject() || !body.path("data").isArray()) {
      throw new IllegalArgumentException("not an embeddings list");
    }
    return (ObjectNode) body;
  }

  /** The request path of each API below the base URL (and below the deployment on Azure). */
  private static String path(InboundApi api) {
    return switch (api) {
      case OPENAI_RESPONSES -> "/responses";
      case OPENAI_COMPLETIONS -> "/completions";
      case OPENAI_EMBEDDINGS -> "/embeddings";
      default -> "/chat/completions";
    };
  }

  private UpstreamRequest request(ProviderRuntime provider, String model, ObjectNode body, boolean stream,
      InboundApi api) {
    body.put("model", model);
    if (stream && asksForUsage(provider, api)) {
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
            + path(api) + "?api-version=" + encode(version));
      }
      case MOCK -> {
        copySetting(provider, "latency_ms", MockUpstream.LATENCY_HEADER, headers);
        copySetting(provider, "stream_chunks", MockUpstream.CHUNKS_HEADER, headers);
        copySetting(provider, "chunk_delay_ms", MockUpstream.CHUNK_DELAY_HEADER, headers);
        copySetting(provider, "reply", MockUpstream.REPLY_HEADER, headers);
        uri = URI.create(MOCK_URI + path(api));
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
        uri = uri(provider.baseUri() + path(api));
      }
    }
    return new UpstreamRequest(HttpMethod.POST, uri, headers, Unpooled.wrappedBuffer(Json.bytes(body)),
        Timeouts.of(provider, defaults));
  }

  /**
   * OpenAI, Azure and the mock accept {@code stream_options} on chat; arbitrary compatible servers may not. Legacy
   * completions take it on OpenAI itself; Responses streams carry usage in {@code response.completed} anyway.
   */
  /**
   * Streams carry usage only when asked ({@code stream_options.include_usage}), and usage is what the request is
   * charged for: every OpenAI-style provider is asked, on chat and completions. An OpenAI-compatible server that
   * rejects the option gets the provider setting {@code stream_usage: false}; its streams are then counted.
   */
  private static boolean asksForUsage(ProviderRuntime provider, InboundApi api) {
    if (api != InboundApi.OPENAI_CHAT && api != InboundApi.OPENAI_COMPLETIONS) {
      return false;
    }
    ProviderType type = provider.type();
    if (type == ProviderType.OPENAI_COMPATIBLE) {
      return !"false".equals(provider.config().setting("stream_usage", "true"));
    }
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
  public java.util.Set<String> nativeUsageFields() {
    return USAGE_FIELDS;
  }

  @Override
  public Usage nativeUsage(JsonNode body) {
    return usage(body.get("usage"));
  }

  @Override
  public Usage nativeStreamUsage(SseEvent event) {
    if (!event.hasUsageObject()) {
      return null; // most chunks: no usage, or "usage": null
    }
    try {
      JsonNode parsed = Json.parse(event.dataBytes());
      JsonNode usage = parsed.get("usage");
      if (usage == null && parsed.path("response").isObject()) {
        // Responses API: response.completed (and .incomplete/.failed) carry the whole response with its usage.
        usage = parsed.path("response").get("usage");
      }
      return usage == null || usage.isNull() ? null : usage(usage);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Chat, completions and embeddings count {@code prompt_tokens}; the Responses API {@code input_tokens}. */
  static Usage usage(JsonNode usage) {
    if (usage != null && usage.has("input_tokens")) {
      return new Usage(usage.path("input_tokens").asLong(0), usage.path("output_tokens").asLong(0),
          usage.path("input_tokens_details").path("cached_tokens").asLong(0),
          usage.path("output_tokens_details").path("reasoning_tokens").asLong(0));
    }
    return Usage.fromOpenAi(usage);
  }

  /** Parsing the same provider URL on every request showed in profiles; the set of URLs is small (the config's). */
  private URI uri(String text) {
    URI uri = uris.get(text);
    if (uri == null) {
      uri = URI.create(text);
      if (uris.size() < 4096) {
        uris.put(text, uri);
      }
    }
    return uri;
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
