package dev.spillway.dataplane.provider;

import dev.spillway.dataplane.api.ChatCall;
import dev.spillway.dataplane.api.InboundApi;
import dev.spillway.dataplane.stream.ChatStreamDecoder;
import dev.spillway.dataplane.stream.SseEvent;
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

  /** Usage carried by one event of a native stream, or null when the event carries none. */
  Usage nativeStreamUsage(SseEvent event);
}
