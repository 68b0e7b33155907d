package dev.spillway.dataplane.protocol.anthropic;

import dev.spillway.dataplane.protocol.canonical.CanonicalExtensions;
import dev.spillway.dataplane.protocol.ClientStreamEncoder;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.json.Json;
import java.util.HashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Canonical chunks to Anthropic's stream events, exactly in the order Anthropic sends them: {@code message_start},
 * then per content block {@code content_block_start}, its deltas and {@code content_block_stop} (one open block at a
 * time, indexes counting from 0), then {@code message_delta} with the stop reason and usage, then
 * {@code message_stop}. Every event is an {@code event:} line naming its type and a {@code data:} line whose JSON
 * carries the same {@code type}.
 *
 * <p>Thinking pieces ({@code x_spillway_thinking}, see {@link AnthropicMapping#THINKING}) become thinking and
 * redacted_thinking blocks with their signatures; plain reasoning deltas ({@code reasoning_content}, or
 * {@code reasoning} as some servers call it) an unsigned thinking block. Content becomes a text block, each tool call
 * a tool_use block. The stop reason and usage arrive in separate
 * canonical chunks (OpenAI sends usage after the finish chunk), so {@code message_delta} is written at the end.
 */
public final class AnthropicStreamEncoder implements ClientStreamEncoder {
  private enum Block { NONE, TEXT, THINKING, TOOL }

  private final String fallbackModel;
  private final Map<Integer, Integer> blockByToolIndex = new HashMap<>();
  private boolean started;
  private boolean ended;
  private Block open = Block.NONE;
  private int openIndex = -1;
  private int openThinkingIndex = -1;
  private int nextIndex;
  private String finishReason;
  private String stopSequence;
  private long inputTokens;
  private long cachedTokens;
  private long outputTokens;

  /** @param fallbackModel the model named in {@code message_start} when the first chunk names none */
  public AnthropicStreamEncoder(String fallbackModel) {
    this.fallbackModel = fallbackModel;
  }

  @Override
  public void onChunk(ObjectNode chunk, StringBuilder out) {
    if (ended) {
      return;
    }
    JsonNode usage = chunk.get("usage");
    if (usage != null && usage.isObject()) {
      long prompt = usage.path("prompt_tokens").asLong(0);
      cachedTokens = usage.path("prompt_tokens_details").path("cached_tokens").asLong(0);
      inputTokens = Math.max(0, prompt - cachedTokens);
      outputTokens = usage.path("completion_tokens").asLong(0);
    }
    if (!started) {
      start(chunk, out);
    }
    for (JsonNode choice : chunk.path("choices")) {
      if (choice.path("index").asInt(0) == 0) {
        onChoice(choice, out);
      }
    }
  }

  private void onChoice(JsonNode choice, StringBuilder out) {
    JsonNode delta = choice.path("delta");
    JsonNode pieces = delta.path(CanonicalExtensions.THINKING);
    if (pieces.isArray() && !pieces.isEmpty()) {
      for (JsonNode piece : pieces) {
        thinkingPiece(piece, out);
      }
    } else {
      // Reasoning from OpenAI-compatible servers: unsigned thinking (reasoning_content, or reasoning).
      String reasoning = text(delta, CanonicalExtensions.REASONING_CONTENT);
      if (reasoning.isEmpty()) {
        reasoning = text(delta, "reasoning");
      }
      if (!reasoning.isEmpty()) {
        if (open != Block.THINKING) {
          openThinking(-1, out);
        }
        delta(out, Json.object().put("type", "thinking_delta").put("thinking", reasoning));
      }
    }
    String content = text(delta, "content");
    if (content.isEmpty()) {
      content = text(delta, "refusal");
    }
    if (!content.isEmpty()) {
      openText(out);
      delta(out, Json.object().put("type", "text_delta").put("text", content));
    }
    for (JsonNode call : delta.path("tool_calls")) {
      toolCall(call, out);
    }
    JsonNode finish = choice.path("finish_reason");
    if (finish.isString()) {
      close(out);
      finishReason = finish.asString();
      JsonNode sequence = choice.path(CanonicalExtensions.STOP_SEQUENCE);
      stopSequence = sequence.isString() ? sequence.asString() : null;
    }
  }

  /** One piece of a thinking block: a new piece index starts a new block (see CanonicalExtensions.THINKING). */
  private void thinkingPiece(JsonNode piece, StringBuilder out) {
    int index = piece.path("index").asInt(0);
    if ("redacted_thinking".equals(piece.path("type").asString(""))) {
      close(out);
      startBlock(out, Json.object().put("type", "redacted_thinking").put("data", piece.path("data").asString("")));
      close(out);
      return;
    }
    if (open != Block.THINKING || openThinkingIndex != index) {
      openThinking(index, out);
    }
    String thinking = text(piece, "thinking");
    if (!thinking.isEmpty()) {
      delta(out, Json.object().put("type", "thinking_delta").put("thinking", thinking));
    }
    String signature = text(piece, "signature");
    if (!signature.isEmpty()) {
      delta(out, Json.object().put("type", "signature_delta").put("signature", signature));
    }
  }

  private void openThinking(int pieceIndex, StringBuilder out) {
    close(out);
    startBlock(out, Json.object().put("type", "thinking").put("thinking", "").put("signature", ""));
    open = Block.THINKING;
    openThinkingIndex = pieceIndex;
  }

  private void toolCall(JsonNode call, StringBuilder out) {
    int toolIndex = call.path("index").asInt(0);
    Integer block = blockByToolIndex.get(toolIndex);
    if (block == null) {
      close(out);
      ObjectNode toolUse = Json.object();
      toolUse.put("type", "tool_use");
      toolUse.put("id", call.path("id").asString("toolu_spillway_" + toolIndex));
      toolUse.put("name", call.path("function").path("name").asString(""));
      toolUse.putObject("input");
      block = startBlock(out, toolUse);
      open = Block.TOOL;
      blockByToolIndex.put(toolIndex, block);
    }
    String arguments = call.path("function").path("arguments").asString("");
    if (!arguments.isEmpty()) {
      // OpenAI-style providers finish one call's arguments before the next call starts; a fragment for an
      // earlier call still goes to that call's block index, which is where Anthropic clients accumulate it.
      ObjectNode event = Json.object();
      event.put("type", "content_block_delta");
      event.put("index", block);
      event.set("delta", Json.object().put("type", "input_json_delta").put("partial_json", arguments));
      event(out, "content_block_delta", event);
    }
  }

  @Override
  public void onEnd(StringBuilder out) {
    if (ended) {
      return;
    }
    if (!started) {
      start(null, out);
    }
    close(out);
    ended = true;
    ObjectNode event = Json.object();
    event.put("type", "message_delta");
    ObjectNode delta = event.putObject("delta");
    delta.put("stop_reason", AnthropicMapping.stopReason(finishReason, stopSequence));
    if (stopSequence == null) {
      delta.putNull("stop_sequence");
    } else {
      delta.put("stop_sequence", stopSequence);
    }
    event.set("usage", AnthropicMapping.anthropicUsage(inputTokens, outputTokens, cachedTokens));
    event(out, "message_delta", event);
    event(out, "message_stop", Json.object().put("type", "message_stop"));
  }

  @Override
  public void onError(GatewayError error, String message, StringBuilder out) {
    ended = true;
    ObjectNode event = Json.object();
    event.put("type", "error");
    event.putObject("error").put("type", error.anthropicType()).put("message", message);
    event(out, "error", event);
  }

  private void start(JsonNode chunk, StringBuilder out) {
    started = true;
    ObjectNode message = Json.object();
    message.put("id", AnthropicMapping.messageId(chunk == null ? null : chunk.path("id").asString(null)));
    message.put("type", "message");
    message.put("role", "assistant");
    String model = chunk == null ? null : chunk.path("model").asString(null);
    message.put("model", model == null || model.isEmpty() ? fallbackModel : model);
    message.putArray("content");
    message.putNull("stop_reason");
    message.putNull("stop_sequence");
    // Chat-completions streams report usage only at the end; the real counts follow in message_delta.
    message.set("usage", AnthropicMapping.anthropicUsage(inputTokens, outputTokens, cachedTokens));
    ObjectNode event = Json.object();
    event.put("type", "message_start");
    event.set("message", message);
    event(out, "message_start", event);
  }

  private void openText(StringBuilder out) {
    if (open == Block.TEXT) {
      return;
    }
    close(out);
    startBlock(out, Json.object().put("type", "text").put("text", ""));
    open = Block.TEXT;
  }

  private int startBlock(StringBuilder out, ObjectNode block) {
    int index = nextIndex++;
    ObjectNode event = Json.object();
    event.put("type", "content_block_start");
    event.put("index", index);
    event.set("content_block", block);
    event(out, "content_block_start", event);
    openIndex = index;
    open = Block.NONE;
    return index;
  }

  private void close(StringBuilder out) {
    if (openIndex < 0) {
      return;
    }
    ObjectNode event = Json.object();
    event.put("type", "content_block_stop");
    event.put("index", openIndex);
    event(out, "content_block_stop", event);
    openIndex = -1;
    open = Block.NONE;
  }

  private void delta(StringBuilder out, ObjectNode delta) {
    ObjectNode event = Json.object();
    event.put("type", "content_block_delta");
    event.put("index", openIndex);
    event.set("delta", delta);
    event(out, "content_block_delta", event);
  }

  private static void event(StringBuilder out, String type, ObjectNode data) {
    out.append("event: ").append(type).append("\ndata: ").append(Json.mapper().writeValueAsString(data))
        .append("\n\n");
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && value.isString() ? value.asString() : "";
  }
}
