package dev.spillway.dataplane.protocol.openai;

import dev.spillway.dataplane.protocol.ChatStreamDecoder;
import dev.spillway.dataplane.protocol.ProviderStreamError;
import dev.spillway.dataplane.protocol.framing.SseDecoder;
import dev.spillway.dataplane.protocol.framing.SseEvent;
import dev.spillway.dataplane.json.Json;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** An OpenAI chat completions stream: each {@code data:} event is already a canonical chunk; {@code [DONE]} ends it. */
public final class OpenAiChatStreamDecoder implements ChatStreamDecoder {
  private final SseDecoder sse = new SseDecoder();

  @Override
  public void decode(ByteBuf input, Consumer<ObjectNode> out) {
    sse.decode(input, event -> emit(event, out));
  }

  @Override
  public void finish(Consumer<ObjectNode> out) {
    sse.finish(event -> emit(event, out));
  }

  private static void emit(SseEvent event, Consumer<ObjectNode> out) {
    String data = event.data().strip();
    if (data.isEmpty() || data.equals("[DONE]")) {
      return;
    }
    JsonNode chunk;
    try {
      chunk = Json.parse(data.getBytes(StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      throw new SseDecoder.SseException("the provider sent an event that is not JSON");
    }
    if (chunk.has("error")) {
      throw new ProviderStreamError(chunk.path("error").path("message").asString("the provider reported an error"));
    }
    if (chunk.isObject()) {
      out.accept((ObjectNode) chunk);
    }
  }
}
