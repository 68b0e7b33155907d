package dev.spillway.dataplane.protocol;

import dev.spillway.dataplane.error.GatewayError;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a canonical stream (OpenAI {@code chat.completion.chunk} objects) in one client API's event format. Keeps
 * whatever state the target format needs (open content blocks, indexes, sequence numbers) so its output is always
 * well-formed: complete events, the format's end marker, usage where the client asked for it.
 */
public interface ClientStreamEncoder {
  /** Appends the events for one canonical chunk. */
  void onChunk(ObjectNode chunk, StringBuilder out);

  /** Appends whatever closes the stream properly ({@code [DONE]}, {@code message_stop}, …). */
  void onEnd(StringBuilder out);

  /** Appends an error event after which the stream ends. */
  void onError(GatewayError error, String message, StringBuilder out);
}
