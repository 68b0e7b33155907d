package dev.spillway.dataplane.protocol.anthropic;

import dev.spillway.dataplane.protocol.canonical.CanonicalExtensions;
import dev.spillway.dataplane.protocol.ChatStreamDecoder;
import dev.spillway.dataplane.protocol.ProviderStreamError;
import dev.spillway.dataplane.protocol.framing.SseDecoder;
import dev.spillway.dataplane.protocol.framing.SseEvent;
import dev.spillway.dataplane.json.Json;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An Anthropic Messages stream ({@code message_start}, {@code content_block_start/delta/stop}, {@code message_delta},
 * {@code message_stop}, {@code ping}, {@code error}) as canonical chunks: a role chunk, content, reasoning and
 * tool-call deltas (one OpenAI tool index per {@code tool_use} block, in order), a finish chunk, and a final
 * usage-only chunk ({@code choices: []}) at {@code message_stop}. Thinking travels as {@code x_spillway_thinking}
 * pieces (see {@link AnthropicMapping#THINKING}), its text mirrored in {@code reasoning_content}.
 *
 * <p>A stream that ends without {@code message_stop} is an error: the answer is incomplete. An {@code error} event
 * becomes a {@link ProviderStreamError} carrying Anthropic's error type and message. Block types without a
 * chat-completions form (server tool use and its results) are skipped.
 */
public final class AnthropicStreamDecoder implements ChatStreamDecoder {
  private final SseDecoder sse = new SseDecoder();
  private final Map<Integer, Integer> toolIndexByBlock = new HashMap<>();
  private final Map<Integer, Integer> thinkingIndexByBlock = new HashMap<>();
  private final long created = System.currentTimeMillis() / 1000;
  private String id = "msg_spillway";
  private String model;
  private int nextToolIndex;
  private int nextThinkingIndex;
  private long inputTokens;
  private long cacheReadTokens;
  private long cacheCreationTokens;
  private long outputTokens;
  private boolean stopped;

  /** @param model the model to report until {@code message_start} names the provider's */
  public AnthropicStreamDecoder(String model) {
    this.model = model;
  }

  @Override
  public void decode(ByteBuf input, Consumer<ObjectNode> out) {
    sse.decode(input, event -> onEvent(event, out));
  }

  @Override
  public void finish(Consumer<ObjectNode> out) {
    sse.finish(event -> onEvent(event, out));
    if (!stopped) {
      throw new SseDecoder.SseException("the stream ended before message_stop");
    }
  }

  private void onEvent(SseEvent event, Consumer<ObjectNode> out) {
    String data = event.data().strip();
    if (data.isEmpty() || stopped) {
      return;
    }
    JsonNode json;
    try {
      json = Json.parse(data.getBytes(StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      throw new SseDecoder.SseException("the provider sent an event that is not JSON");
    }
    String type = json.path("type").asString(event.event() == null ? "" : event.event());
    switch (type) {
      case "message_start" -> {
        JsonNode message = json.path("message");
        id = message.path("id").asString(id);
        model = message.path("model").asString(model);
        usage(message.path("usage"));
        ObjectNode delta = Json.object().put("role", "assistant").put("content", "");
        out.accept(chunk(delta, null));
      }
      case "content_block_start" -> blockStart(json.path("index").asInt(0), json.path("content_block"), out);
      case "content_block_delta" -> blockDelta(json.path("index").asInt(0), json.path("delta"), out);
      case "message_delta" -> {
        usage(json.path("usage"));
        JsonNode stopReason = json.path("delta").path("stop_reason");
        if (stopReason.isString()) {
          ObjectNode chunk = chunk(Json.object(), AnthropicMapping.finishReason(stopReason.asString()));
          JsonNode stopSequence = json.path("delta").path("stop_sequence");
          if (stopSequence.isString()) {
            ((ObjectNode) chunk.path("choices").get(0)).put(CanonicalExtensions.STOP_SEQUENCE, stopSequence.asString());
          }
          out.accept(chunk);
        }
      }
      case "message_stop" -> {
        stopped = true;
        ObjectNode chunk = base();
        chunk.putArray("choices");
        chunk.set("usage", AnthropicMapping.canonicalUsage(inputTokens + cacheReadTokens + cacheCreationTokens,
            outputTokens, cacheReadTokens));
        out.accept(chunk);
      }
      case "error" -> {
        JsonNode error = json.path("error");
        throw new ProviderStreamError(error.path("type").asString("error") + ": "
            + error.path("message").asString("the provider reported an error"));
      }
      default -> { } // ping, content_block_stop and event types added after this was written
    }
  }

  private void blockStart(int index, JsonNode block, Consumer<ObjectNode> out) {
    switch (block.path("type").asString("")) {
      case "text" -> {
        String text = block.path("text").asString("");
        if (!text.isEmpty()) {
          out.accept(chunk(Json.object().put("content", text), null));
        }
      }
      case "tool_use" -> {
        int toolIndex = nextToolIndex++;
        toolIndexByBlock.put(index, toolIndex);
        ObjectNode call = Json.object();
        call.put("index", toolIndex);
        call.put("id", block.path("id").asString(""));
        call.put("type", "function");
        ObjectNode function = call.putObject("function");
        function.put("name", block.path("name").asString(""));
        JsonNode input = block.path("input");
        // Streamed tool input arrives as input_json_delta events; a start block only carries a complete input.
        function.put("arguments", input.isObject() && !input.isEmpty() ? Json.mapper().writeValueAsString(input) : "");
        out.accept(toolChunk(call));
      }
      case "thinking" -> {
        int thinkingIndex = nextThinkingIndex++;
        thinkingIndexByBlock.put(index, thinkingIndex);
        // The piece opens the block even when empty, so consecutive thinking blocks stay apart.
        ObjectNode piece = thinkingPiece(thinkingIndex, "thinking").put("thinking", block.path("thinking").asString(""));
        String signature = block.path("signature").asString("");
        if (!signature.isEmpty()) {
          piece.put("signature", signature);
        }
        out.accept(thinkingChunk(piece, block.path("thinking").asString("")));
      }
      case "redacted_thinking" -> {
        ObjectNode piece = thinkingPiece(nextThinkingIndex++, "redacted_thinking")
            .put("data", block.path("data").asString(""));
        out.accept(thinkingChunk(piece, ""));
      }
      default -> { } // server_tool_use, web_search_tool_result, …: no chat-completions form
    }
  }

  private void blockDelta(int index, JsonNode delta, Consumer<ObjectNode> out) {
    switch (delta.path("type").asString("")) {
      case "text_delta" -> {
        String text = delta.path("text").asString("");
        if (!text.isEmpty()) {
          out.accept(chunk(Json.object().put("content", text), null));
        }
      }
      case "input_json_delta" -> {
        Integer toolIndex = toolIndexByBlock.get(index);
        String partial = delta.path("partial_json").asString("");
        if (toolIndex != null && !partial.isEmpty()) {
          ObjectNode call = Json.object();
          call.put("index", toolIndex);
          call.putObject("function").put("arguments", partial);
          out.accept(toolChunk(call));
        }
      }
      case "thinking_delta" -> {
        Integer thinkingIndex = thinkingIndexByBlock.get(index);
        String thinking = delta.path("thinking").asString("");
        if (thinkingIndex != null && !thinking.isEmpty()) {
          out.accept(thinkingChunk(thinkingPiece(thinkingIndex, "thinking").put("thinking", thinking), thinking));
        }
      }
      case "signature_delta" -> {
        Integer thinkingIndex = thinkingIndexByBlock.get(index);
        if (thinkingIndex != null) {
          out.accept(thinkingChunk(thinkingPiece(thinkingIndex, "thinking")
              .put("signature", delta.path("signature").asString("")), ""));
        }
      }
      default -> { } // citations_delta and later additions
    }
  }

  /** message_start carries the input side; message_delta the cumulative counts so far. */
  private void usage(JsonNode usage) {
    if (!usage.isObject()) {
      return;
    }
    inputTokens = usage.path("input_tokens").asLong(inputTokens);
    cacheReadTokens = usage.path("cache_read_input_tokens").asLong(cacheReadTokens);
    cacheCreationTokens = usage.path("cache_creation_input_tokens").asLong(cacheCreationTokens);
    outputTokens = usage.path("output_tokens").asLong(outputTokens);
  }

  private static ObjectNode thinkingPiece(int index, String type) {
    return Json.object().put("index", index).put("type", type);
  }

  /** A thinking piece, with its text mirrored in reasoning_content for OpenAI clients. */
  private ObjectNode thinkingChunk(ObjectNode piece, String text) {
    ObjectNode delta = Json.object();
    if (!text.isEmpty()) {
      delta.put(CanonicalExtensions.REASONING_CONTENT, text);
    }
    delta.putArray(CanonicalExtensions.THINKING).add(piece);
    return chunk(delta, null);
  }

  private ObjectNode toolChunk(ObjectNode call) {
    ObjectNode delta = Json.object();
    ArrayNode calls = delta.putArray("tool_calls");
    calls.add(call);
    return chunk(delta, null);
  }

  private ObjectNode base() {
    ObjectNode chunk = Json.object();
    chunk.put("id", id);
    chunk.put("object", "chat.completion.chunk");
    chunk.put("created", created);
    chunk.put("model", model);
    return chunk;
  }

  private ObjectNode chunk(ObjectNode delta, String finishReason) {
    ObjectNode chunk = base();
    ObjectNode choice = chunk.putArray("choices").addObject();
    choice.put("index", 0);
    choice.set("delta", delta);
    if (finishReason == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finishReason);
    }
    return chunk;
  }
}
