package dev.spillway.dataplane.protocol.gemini;

import dev.spillway.dataplane.protocol.canonical.CanonicalChunks;
import dev.spillway.dataplane.protocol.canonical.CanonicalParts;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.ChatStreamDecoder;
import dev.spillway.dataplane.protocol.ProviderStreamError;
import dev.spillway.dataplane.protocol.framing.SseDecoder;
import dev.spillway.dataplane.protocol.framing.SseEvent;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A {@code streamGenerateContent?alt=sse} answer as canonical chunks. Each event is a whole
 * {@code GenerateContentResponse} whose text parts are deltas and whose function calls arrive complete: the first
 * event of a candidate gives the role chunk, text and thought parts become content and thinking deltas, a function
 * call becomes one tool-call delta with all its arguments, a finish reason the finish chunk; the last usage seen
 * becomes the usage-only chunk at the end. An {@code error} event ends the stream with Gemini's message. Parts,
 * finish reasons and usage are mapped by {@link GeminiResponseTranslator}, as for complete answers; tool call ids
 * come from {@code toolCallIds}.
 */
final class GeminiStreamDecoder implements ChatStreamDecoder {
  private final SseDecoder sse = new SseDecoder();
  private final Supplier<String> toolCallIds;
  private final CanonicalChunks chunks;
  private final Set<Integer> started = new HashSet<>();
  private final Set<Integer> finished = new HashSet<>();
  private final Map<Integer, Integer> toolCalls = new HashMap<>();
  private JsonNode usage;

  GeminiStreamDecoder(Supplier<String> toolCallIds, CanonicalChunks chunks) {
    this.toolCallIds = toolCallIds;
    this.chunks = chunks;
  }

  @Override
  public void decode(ByteBuf input, Consumer<ObjectNode> out) {
    sse.decode(input, event -> onEvent(event, out));
  }

  @Override
  public void finish(Consumer<ObjectNode> out) {
    sse.finish(event -> onEvent(event, out));
    if (finished.isEmpty() || !finished.containsAll(started)) {
      throw new SseDecoder.SseException("gemini's stream ended before its finish reason");
    }
    if (usage != null) {
      out.accept(chunks.usage(GeminiResponseTranslator.usage(usage)));
    }
  }

  private void onEvent(SseEvent event, Consumer<ObjectNode> out) {
    String data = event.data().strip();
    if (data.isEmpty()) {
      return;
    }
    JsonNode response;
    try {
      response = Json.parse(data.getBytes(StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      throw new SseDecoder.SseException("gemini sent an event that is not JSON");
    }
    if (response.has("error")) {
      JsonNode error = response.path("error");
      String status = error.path("status").asString("");
      throw new ProviderStreamError((status.isEmpty() ? "" : status + ": ")
          + error.path("message").asString("gemini reported an error"));
    }
    if (response.path("usageMetadata").isObject()) {
      usage = response.path("usageMetadata");
    }
    JsonNode candidates = response.path("candidates");
    if (candidates.isEmpty() && response.path("promptFeedback").has("blockReason")) {
      start(0, out);
      finish(0, "content_filter", out);
      return;
    }
    for (int i = 0; i < candidates.size(); i++) {
      JsonNode candidate = candidates.get(i);
      int index = candidate.path("index").asInt(i);
      start(index, out);
      for (JsonNode part : candidate.path("content").path("parts")) {
        if (part.path("functionCall").isObject()) {
          int call = toolCalls.merge(index, 1, Integer::sum) - 1;
          ObjectNode delta = CanonicalChunks.delta();
          delta.putArray("tool_calls").add(GeminiResponseTranslator.toolCall(part, call, toolCallIds.get()));
          out.accept(chunks.chunk(index, delta, null));
        } else if (part.path("text").isString()) {
          ObjectNode delta = CanonicalChunks.delta();
          if (part.path("thought").asBoolean(false)) {
            ObjectNode piece = GeminiResponseTranslator.thought(part);
            piece.put("index", 0);
            delta.put(CanonicalParts.REASONING_CONTENT, part.path("text").asString());
            delta.putArray(CanonicalParts.THINKING).add(piece);
          } else if (!part.path("text").asString().isEmpty()) {
            delta.put("content", part.path("text").asString());
          } else {
            continue;
          }
          out.accept(chunks.chunk(index, delta, null));
        }
      }
      String reason = candidate.path("finishReason").asString("");
      if (!reason.isEmpty() && !reason.equals("FINISH_REASON_UNSPECIFIED")) {
        finish(index, GeminiResponseTranslator.finishReason(reason, toolCalls.containsKey(index)), out);
      }
    }
  }

  private void start(int index, Consumer<ObjectNode> out) {
    if (started.add(index)) {
      ObjectNode delta = CanonicalChunks.delta();
      delta.put("role", "assistant");
      delta.put("content", "");
      out.accept(chunks.chunk(index, delta, null));
    }
  }

  private void finish(int index, String reason, Consumer<ObjectNode> out) {
    if (finished.add(index)) {
      out.accept(chunks.chunk(index, CanonicalChunks.delta(), reason));
    }
  }
}
