package dev.spillway.dataplane.protocol.anthropic;

import dev.spillway.dataplane.protocol.canonical.CanonicalExtensions;
import dev.spillway.dataplane.json.Json;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An Anthropic {@code message} as a canonical {@code chat.completion}: text blocks joined, {@code tool_use} blocks as
 * tool calls with JSON-string arguments, thinking blocks verbatim in {@code x_spillway_thinking} (signatures
 * included, so a later turn can send them back) with their text in {@code reasoning_content}, the stop reason as a finish reason, and usage
 * with cache reads and writes counted in {@code prompt_tokens}.
 */
final class AnthropicResponseTranslator {
  private AnthropicResponseTranslator() {}

  static ObjectNode toCanonical(JsonNode message, String model) {
    if (!message.isObject() || !message.path("content").isArray()) {
      throw new IllegalArgumentException("not an Anthropic message");
    }
    ObjectNode completion = Json.object();
    completion.put("id", message.path("id").asString("msg_spillway"));
    completion.put("object", "chat.completion");
    completion.put("created", System.currentTimeMillis() / 1000);
    completion.put("model", message.path("model").asString(model));
    ObjectNode choice = completion.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode out = choice.putObject("message");
    out.put("role", "assistant");
    StringBuilder text = new StringBuilder();
    StringBuilder reasoning = new StringBuilder();
    ArrayNode thinking = Json.array();
    ArrayNode toolCalls = Json.array();
    for (JsonNode block : message.path("content")) {
      switch (block.path("type").asString("")) {
        case "text" -> text.append(block.path("text").asString(""));
        case "thinking" -> {
          reasoning.append(block.path("thinking").asString(""));
          thinking.addObject().put("type", "thinking").put("thinking", block.path("thinking").asString(""))
              .put("signature", block.path("signature").asString(""));
        }
        case "redacted_thinking" -> thinking.addObject().put("type", "redacted_thinking")
            .put("data", block.path("data").asString(""));
        case "tool_use" -> {
          ObjectNode call = toolCalls.addObject();
          call.put("id", block.path("id").asString(""));
          call.put("type", "function");
          ObjectNode function = call.putObject("function");
          function.put("name", block.path("name").asString(""));
          JsonNode input = block.path("input");
          function.put("arguments", Json.mapper().writeValueAsString(input.isObject() ? input : Json.object()));
        }
        default -> { } // server tool blocks have no chat-completions form
      }
    }
    if (text.isEmpty() && !toolCalls.isEmpty()) {
      out.putNull("content");
    } else {
      out.put("content", text.toString());
    }
    out.putNull("refusal");
    if (!thinking.isEmpty()) {
      if (!reasoning.isEmpty()) {
        out.put(CanonicalExtensions.REASONING_CONTENT, reasoning.toString());
      }
      out.set(CanonicalExtensions.THINKING, thinking);
    }
    if (!toolCalls.isEmpty()) {
      out.set("tool_calls", toolCalls);
    }
    choice.putNull("logprobs");
    JsonNode stopReason = message.path("stop_reason");
    choice.put("finish_reason", AnthropicMapping.finishReason(stopReason.isString() ? stopReason.asString() : null));
    JsonNode stopSequence = message.path("stop_sequence");
    if (stopSequence.isString()) {
      choice.put(CanonicalExtensions.STOP_SEQUENCE, stopSequence.asString());
    }
    completion.set("usage", AnthropicMapping.canonicalUsage(message.path("usage")));
    return completion;
  }
}
