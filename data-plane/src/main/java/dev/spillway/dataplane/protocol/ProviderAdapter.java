package dev.spillway.dataplane.protocol;

import dev.spillway.dataplane.provider.ProviderRuntime;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.protocol.framing.SseEvent;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.usage.Usage;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One provider API family: request, response and stream translation between the canonical form (OpenAI chat
 * completions) and the provider's wire format, plus the native path for clients that already speak it.
 *
 * <p>Adapters are stateless and shared by all event loops; per-stream state lives in the decoders they create.
 */
public interface ProviderAdapter {
  /** True when a client of {@code api} may be passed through to this provider unchanged (but for the model). */
  boolean speaks(InboundApi api);

  /**
   * True when a client of {@code api} may be passed through to {@code provider} unchanged (but for the model). An
   * adapter that serves several provider types overrides this when the answer depends on the type (OpenAI's
   * Responses API exists on {@code openai} only); the proxies ask this one.
   */
  default boolean speaks(InboundApi api, ProviderRuntime provider) {
    return speaks(api);
  }

  /** The provider's request for a canonical chat call. */
  UpstreamRequest chat(ProviderRuntime provider, String model, ChatCall call);

  /** Forwards the client's own body; only called when {@link #speaks} is true for the call's API. */
  UpstreamRequest passthrough(ProviderRuntime provider, String model, ChatCall call);

  /** A complete 2xx answer as a canonical {@code chat.completion}. */
  ObjectNode chatResponse(JsonNode body, String model);

  /** A decoder for one streamed answer, producing canonical chunks. */
  ChatStreamDecoder newStreamDecoder(String model);

  /** Usage in a complete native answer, for accounting on the passthrough path. */
  Usage nativeUsage(JsonNode body);

  /**
   * The top-level fields of a complete native answer that {@link #nativeUsage} reads, or null for all of them. The
   * proxy then builds only these fields (the answer is still checked to be JSON), which keeps the passthrough path
   * from materialising every answer as a tree just to count its tokens.
   */
  default java.util.Set<String> nativeUsageFields() {
    return null;
  }

  /** Usage carried by one event of a native stream, or null when the event carries none. */
  Usage nativeStreamUsage(SseEvent event);

  /**
   * True when an error answer means the provider refused Spillway's credentials although its status says
   * otherwise (Gemini answers a wrong API key with 400): such a target is skipped in favour of the fallbacks
   * instead of the request being blamed on the client.
   */
  default boolean isCredentialError(int status, String providerMessage) {
    return false;
  }

  /**
   * The provider's request for an embeddings call. {@code request} is an OpenAI embeddings request: {@code input}
   * (a string or an array of strings; token arrays only reach providers that {@link #speaks(InboundApi,
   * ProviderRuntime) speak} {@link InboundApi#OPENAI_EMBEDDINGS}), optional {@code dimensions},
   * {@code encoding_format} and {@code user}. The adapter may change {@code request}; it is not reused.
   * Provider types without an embeddings API keep this default, a 400.
   */
  default UpstreamRequest embeddings(ProviderRuntime provider, String model, ObjectNode request) {
    throw GatewayError.INVALID_REQUEST.exception("provider type " + provider.type().wireName()
        + " does not offer embeddings yet", "model");
  }

  /**
   * A complete 2xx embeddings answer as an OpenAI embeddings list: {@code data[i].embedding} as a float array (or
   * a base64 string of little-endian float32, which the proxy converts to what the client asked for),
   * {@code data[i].index}, {@code model} and {@code usage.prompt_tokens}.
   */
  default ObjectNode embeddingsResponse(JsonNode body, String model) {
    throw new UnsupportedOperationException("this adapter does not offer embeddings");
  }

  /**
   * The provider's own count of the input tokens of an Anthropic {@code count_tokens} call ({@code call.original()}
   * is the client's body, {@code call.canonical()} its translation), or null when the provider has no such API and
   * the node estimates locally.
   */
  default UpstreamRequest countTokens(ProviderRuntime provider, String model, ChatCall call) {
    return null;
  }

  /** The input token count in the provider's 2xx answer to {@link #countTokens}. */
  default long countTokensResponse(JsonNode body) {
    throw new UnsupportedOperationException("this adapter does not count tokens");
  }
}
