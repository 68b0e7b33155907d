package dev.spillway.dataplane.protocol.gemini;

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
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Google's Gemini API (Google AI Studio): {@code POST {base}/v1beta/models/{model}:generateContent},
 * {@code :streamGenerateContent?alt=sse} (server-sent events, each a whole {@code GenerateContentResponse}) and
 * {@code :batchEmbedContents}; the key travels in {@code x-goog-api-key}. {@code settings.api_version} picks another
 * API version ({@code v1}); a base URL that already ends in a version is used as it is.
 *
 * <p>This class talks to Gemini: URLs, headers, timeouts, and the credential errors Gemini reports as 400s. The
 * bodies are translated by {@link GeminiRequestTranslator} (including the thought signatures carried in tool call
 * ids), the answers by {@link GeminiResponseTranslator} and {@link GeminiStreamDecoder}; the adapter mints the
 * completion and tool call ids they carry. See docs/providers.md for the full mapping.
 */
public final class GeminiAdapter implements ProviderAdapter {
  private static final String DEFAULT_API_VERSION = "v1beta";
  private static final Pattern VERSIONED_BASE = Pattern.compile(".*/v\\d+(?:alpha|beta)?\\d*$");

  private final UpstreamRequest.Timeouts defaults;
  private final Clock clock;
  private final Supplier<String> ids;
  private final Supplier<String> toolCallIds;

  public GeminiAdapter(UpstreamRequest.Timeouts defaults) {
    this(defaults, Clock.systemUTC(), () -> "chatcmpl-" + CanonicalParts.randomId(24),
        () -> "call_" + CanonicalParts.randomId(24));
  }

  /** With a fixed clock and ids, for golden-file tests. */
  GeminiAdapter(UpstreamRequest.Timeouts defaults, Clock clock, Supplier<String> ids, Supplier<String> toolCallIds) {
    this.defaults = defaults;
    this.clock = clock;
    this.ids = ids;
    this.toolCallIds = toolCallIds;
  }

  @Override
  public boolean speaks(InboundApi api) {
    return false;
  }

  /** Gemini answers a wrong or expired API key with 400 INVALID_ARGUMENT ("API key not valid…"). */
  @Override
  public boolean isCredentialError(int status, String providerMessage) {
    return status == 400 && providerMessage != null
        && (providerMessage.contains("API key not valid") || providerMessage.contains("API_KEY_INVALID")
            || providerMessage.contains("API key expired"));
  }

  @Override
  public UpstreamRequest passthrough(ProviderRuntime provider, String model, ChatCall call) {
    throw new UnsupportedOperationException("gemini speaks no client API natively");
  }

  @Override
  public UpstreamRequest chat(ProviderRuntime provider, String model, ChatCall call) {
    ObjectNode body = GeminiRequestTranslator.translate(call.canonical(), model);
    URI uri = URI.create(modelUrl(provider, model)
        + (call.stream() ? ":streamGenerateContent?alt=sse" : ":generateContent"));
    return post(provider, uri, body, call.stream());
  }

  private UpstreamRequest post(ProviderRuntime provider, URI uri, ObjectNode body, boolean stream) {
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    headers.set(HttpHeaderNames.ACCEPT, stream ? "text/event-stream" : "application/json");
    headers.set(HttpHeaderNames.USER_AGENT, "spillway");
    ProviderRuntime.Credential credential = provider.pickCredential();
    if (credential != null) {
      headers.set("x-goog-api-key", credential.secret());
    }
    return new UpstreamRequest(HttpMethod.POST, uri, headers, Unpooled.wrappedBuffer(Json.bytes(body)),
        Timeouts.of(provider, defaults));
  }

  /** {@code {base}/{version}/models/{model}}; a model given as {@code models/x} or {@code tunedModels/x} is kept. */
  static String modelUrl(ProviderRuntime provider, String model) {
    String base = provider.baseUri().toString();
    if (!VERSIONED_BASE.matcher(base).matches()) {
      base = base + "/" + provider.config().setting("api_version", DEFAULT_API_VERSION);
    }
    int slash = model.indexOf('/');
    String path = model.startsWith("models/") || model.startsWith("tunedModels/")
        ? model.substring(0, slash + 1) + CanonicalParts.pathSegment(model.substring(slash + 1))
        : "models/" + CanonicalParts.pathSegment(model);
    return base + "/" + path;
  }

  @Override
  public ObjectNode chatResponse(JsonNode body, String model) {
    return GeminiResponseTranslator.toCanonical(body, model, ids.get(), clock.millis() / 1000, toolCallIds);
  }

  @Override
  public ChatStreamDecoder newStreamDecoder(String model) {
    return new GeminiStreamDecoder(toolCallIds, new CanonicalChunks(ids.get(), clock.millis() / 1000, model));
  }

  @Override
  public Usage nativeUsage(JsonNode body) {
    return Usage.NONE;
  }

  @Override
  public Usage nativeStreamUsage(SseEvent event) {
    return null;
  }

  // ---------------------------------------------------------------- embeddings

  /**
   * An OpenAI embeddings request as {@code :batchEmbedContents}: each input string one request, {@code dimensions}
   * as {@code outputDimensionality}; {@code encoding_format} is the proxy's business and {@code user} is dropped.
   */
  @Override
  public UpstreamRequest embeddings(ProviderRuntime provider, String model, ObjectNode request) {
    return embeddings(provider, model, GeminiRequestTranslator.embeddingInputs(request.get("input")),
        GeminiRequestTranslator.embeddingDimensions(request.get("dimensions")));
  }

  /** {@code :batchEmbedContents} for these texts, optionally truncated to {@code dimensions}. */
  public UpstreamRequest embeddings(ProviderRuntime provider, String model, List<String> inputs, Integer dimensions) {
    String modelUrl = modelUrl(provider, model);
    String modelName = modelUrl.substring(modelUrl.lastIndexOf('/', modelUrl.lastIndexOf('/') - 1) + 1);
    ObjectNode body = GeminiRequestTranslator.embeddings(modelName, inputs, dimensions);
    return post(provider, URI.create(modelUrl + ":batchEmbedContents"), body, false);
  }

  @Override
  public ObjectNode embeddingsResponse(JsonNode body, String model) {
    return GeminiResponseTranslator.embeddings(body, model);
  }

  /** The vectors of a {@code batchEmbedContents} answer, in request order. */
  public List<float[]> embeddingVectors(JsonNode body) {
    return GeminiResponseTranslator.embeddingVectors(body);
  }
}
