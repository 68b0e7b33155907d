package dev.spillway.dataplane.protocol;

import dev.spillway.dataplane.protocol.framing.SseDecoder;
import io.netty.buffer.ByteBuf;
import java.util.function.Consumer;
import tools.jackson.databind.node.ObjectNode;

/**
 * Turns one provider's streaming response bytes into canonical OpenAI {@code chat.completion.chunk} objects. The
 * decoder reads but never releases its input. Implementations are bounded (see {@link SseDecoder}).
 */
public interface ChatStreamDecoder {
  void decode(ByteBuf input, Consumer<ObjectNode> out);

  /** The provider's stream ended; flush what is pending (a final finish_reason or usage chunk). */
  void finish(Consumer<ObjectNode> out);
}
