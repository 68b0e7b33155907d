package dev.spillway.dataplane.protocol.bedrock;

import dev.spillway.dataplane.protocol.canonical.CanonicalChunks;
import dev.spillway.dataplane.protocol.canonical.CanonicalParts;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.framing.AwsEventStreamDecoder;
import dev.spillway.dataplane.protocol.ChatStreamDecoder;
import dev.spillway.dataplane.protocol.ProviderStreamError;
import dev.spillway.dataplane.protocol.framing.SseDecoder;
import io.netty.buffer.ByteBuf;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import software.amazon.eventstream.HeaderValue;
import software.amazon.eventstream.Message;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A ConverseStream answer (AWS event-stream frames, one JSON event each) as canonical chunks: {@code messageStart}
 * → the role chunk; {@code contentBlockStart} with a tool use → a tool call's id and name; {@code contentBlockDelta}
 * → content, tool-call argument or thinking deltas; {@code messageStop} → the finish chunk; {@code metadata} → the
 * usage-only chunk. An {@code exception} message (throttling, model errors mid-stream) ends the stream with the
 * provider's message. One instance per stream, used on one event loop.
 */
final class BedrockStreamDecoder implements ChatStreamDecoder {
  private final AwsEventStreamDecoder frames = new AwsEventStreamDecoder();
  private final CanonicalChunks chunks;
  private final Map<Integer, Integer> toolIndexByBlock = new HashMap<>();
  private final Map<Integer, Integer> thinkingIndexByBlock = new HashMap<>();
  private final Set<Integer> structuredBlocks = new HashSet<>();
  private boolean started;
  private boolean finished;

  BedrockStreamDecoder(CanonicalChunks chunks) {
    this.chunks = chunks;
  }

  @Override
  public void decode(ByteBuf input, Consumer<ObjectNode> out) {
    frames.decode(input, message -> onMessage(message, out));
  }

  @Override
  public void finish(Consumer<ObjectNode> out) {
    frames.finish();
    if (!finished) {
      // A clean end of the HTTP body without messageStop is a cut-off answer; the client must not take it as whole.
      throw new SseDecoder.SseException("bedrock's stream ended before its messageStop event");
    }
  }

  private void onMessage(Message message, Consumer<ObjectNode> out) {
    Map<String, HeaderValue> headers = message.getHeaders();
    String messageType = header(headers, ":message-type", "event");
    if (messageType.equals("exception")) {
      String type = header(headers, ":exception-type", "exception");
      throw new ProviderStreamError(type + ": " + payloadMessage(message));
    }
    if (messageType.equals("error")) {
      throw new ProviderStreamError(header(headers, ":error-code", "error") + ": "
          + header(headers, ":error-message", "(no message)"));
    }
    if (!messageType.equals("event")) {
      return;
    }
    String eventType = header(headers, ":event-type", "");
    JsonNode event = payload(message, eventType);
    switch (eventType) {
      case "messageStart" -> start(out);
      case "contentBlockStart" -> blockStart(event, out);
      case "contentBlockDelta" -> blockDelta(event, out);
      case "messageStop" -> {
        start(out);
        finished = true;
        out.accept(chunks.chunk(0, CanonicalChunks.delta(), BedrockResponseTranslator.finishReason(
            event.path("stopReason").asString(""), !toolIndexByBlock.isEmpty())));
      }
      case "metadata" -> {
        if (event.path("usage").isObject()) {
          out.accept(chunks.usage(BedrockResponseTranslator.usage(event.path("usage"))));
        }
      }
      default -> { } // contentBlockStop and events added after this was written carry nothing to relay
    }
  }

  private void start(Consumer<ObjectNode> out) {
    if (started) {
      return;
    }
    started = true;
    ObjectNode delta = CanonicalChunks.delta();
    delta.put("role", "assistant");
    delta.put("content", "");
    out.accept(chunks.chunk(0, delta, null));
  }

  private void blockStart(JsonNode event, Consumer<ObjectNode> out) {
    start(out);
    JsonNode toolUse = event.path("start").path("toolUse");
    if (!toolUse.isObject()) {
      return;
    }
    int block = event.path("contentBlockIndex").asInt(0);
    if (BedrockRequestTranslator.STRUCTURED_OUTPUT_TOOL.equals(toolUse.path("name").asString(""))) {
      structuredBlocks.add(block);
      return;
    }
    int index = toolIndexByBlock.size();
    toolIndexByBlock.put(block, index);
    ObjectNode call = Json.object();
    call.put("index", index);
    call.put("id", toolUse.path("toolUseId").asString(""));
    call.put("type", "function");
    ObjectNode function = call.putObject("function");
    function.put("name", toolUse.path("name").asString(""));
    function.put("arguments", "");
    out.accept(chunks.chunk(0, toolCalls(call), null));
  }

  private void blockDelta(JsonNode event, Consumer<ObjectNode> out) {
    start(out);
    int block = event.path("contentBlockIndex").asInt(0);
    JsonNode delta = event.path("delta");
    if (delta.path("text").isString()) {
      out.accept(chunks.chunk(0, content(delta.path("text").asString()), null));
    } else if (delta.path("toolUse").isObject()) {
      String input = delta.path("toolUse").path("input").asString("");
      if (structuredBlocks.contains(block)) {
        out.accept(chunks.chunk(0, content(input), null));
        return;
      }
      // A delta without its contentBlockStart still becomes a tool call, without id or name, rather than be lost.
      int index = toolIndexByBlock.computeIfAbsent(block, b -> toolIndexByBlock.size());
      ObjectNode call = Json.object();
      call.put("index", index);
      call.putObject("function").put("arguments", input);
      out.accept(chunks.chunk(0, toolCalls(call), null));
    } else if (delta.path("reasoningContent").isObject()) {
      JsonNode reasoning = delta.path("reasoningContent");
      ObjectNode piece = Json.object();
      piece.put("index", thinkingIndexByBlock.computeIfAbsent(block, b -> thinkingIndexByBlock.size()));
      if (reasoning.path("text").isString()) {
        piece.put("type", "thinking");
        piece.put("thinking", reasoning.path("text").asString());
      } else if (reasoning.path("signature").isString()) {
        piece.put("type", "thinking");
        piece.put("signature", reasoning.path("signature").asString());
      } else if (reasoning.path("redactedContent").isString()) {
        piece.put("type", "redacted_thinking");
        piece.put("data", reasoning.path("redactedContent").asString());
      } else {
        return;
      }
      ObjectNode thinking = CanonicalChunks.delta();
      if (piece.has("thinking")) {
        thinking.put(CanonicalParts.REASONING_CONTENT, piece.path("thinking").asString());
      }
      thinking.putArray(CanonicalParts.THINKING).add(piece);
      out.accept(chunks.chunk(0, thinking, null));
    }
  }

  private static ObjectNode content(String text) {
    ObjectNode delta = CanonicalChunks.delta();
    delta.put("content", text);
    return delta;
  }

  private static ObjectNode toolCalls(ObjectNode call) {
    ObjectNode delta = CanonicalChunks.delta();
    ArrayNode calls = delta.putArray("tool_calls");
    calls.add(call);
    return delta;
  }

  private static String header(Map<String, HeaderValue> headers, String name, String fallback) {
    HeaderValue value = headers.get(name);
    if (value == null) {
      return fallback;
    }
    try {
      return value.getString();
    } catch (RuntimeException notAString) {
      return fallback;
    }
  }

  /** The event's JSON; the wrapped form {@code {"<eventType>": {…}}} is unwrapped as well. */
  private static JsonNode payload(Message message, String eventType) {
    byte[] bytes = message.getPayload();
    if (bytes.length == 0) {
      return Json.object();
    }
    JsonNode node;
    try {
      node = Json.parse(bytes);
    } catch (RuntimeException e) {
      throw new SseDecoder.SseException("bedrock sent a " + eventType + " event that is not JSON");
    }
    if (node.path(eventType).isObject() && (node.size() == 1 || node.size() == 2 && node.has("p"))) {
      return node.path(eventType);
    }
    return node;
  }

  private static String payloadMessage(Message message) {
    try {
      JsonNode node = Json.parse(message.getPayload());
      JsonNode text = node.path("message").isString() ? node.path("message") : node.path("Message");
      if (text.isString()) {
        return text.asString();
      }
    } catch (RuntimeException notJson) {
      // fall through to the raw text
    }
    String raw = new String(message.getPayload(), java.nio.charset.StandardCharsets.UTF_8);
    return raw.length() > 1000 ? raw.substring(0, 1000) + "…" : raw;
  }
}
