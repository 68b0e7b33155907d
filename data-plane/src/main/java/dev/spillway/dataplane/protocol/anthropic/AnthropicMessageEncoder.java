package dev.spillway.dataplane.protocol.anthropic;

import dev.spillway.dataplane.protocol.canonical.CanonicalExtensions;
import dev.spillway.dataplane.json.Json;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** A canonical {@code chat.completion} as an Anthropic {@code message} (the first choice: Anthropic has one). */
final class AnthropicMessageEncoder {
  /** Tool arguments that are not a JSON object are kept under this key rather than lost. */
  static final String RAW_ARGUMENTS = "_spillway_raw_arguments";

  private AnthropicMessageEncoder() {}

  static ObjectNode encode(ObjectNode completion, String fallbackModel) {
    JsonNode choice = completion.path("choices").path(0);
    JsonNode message = choice.path("message");
    ObjectNode out = Json.object();
    out.put("id", AnthropicMapping.messageId(completion.path("id").asString(null)));
    out.put("type", "message");
    out.put("role", "assistant");
    String model = completion.path("model").asString("");
    out.put("model", model.isEmpty() ? fallbackModel : model);
    ArrayNode content = out.putArray("content");
    JsonNode thinking = message.path(CanonicalExtensions.THINKING);
    if (thinking.isArray() && !thinking.isEmpty()) {
      for (JsonNode block : thinking) {
        String type = block.path("type").asString("");
        if (type.equals("thinking")) {
          content.addObject().put("type", "thinking").put("thinking", block.path("thinking").asString(""))
              .put("signature", block.path("signature").asString(""));
        } else if (type.equals("redacted_thinking")) {
          content.addObject().put("type", "redacted_thinking").put("data", block.path("data").asString(""));
        }
      }
    } else {
      // Reasoning from OpenAI-compatible servers has no signature.
      String reasoning = string(message, CanonicalExtensions.REASONING_CONTENT);
      if (reasoning.isEmpty()) {
        reasoning = string(message, "reasoning");
      }
      if (!reasoning.isEmpty()) {
        content.addObject().put("type", "thinking").put("thinking", reasoning).put("signature", "");
      }
    }
    String text = text(message.path("content"));
    if (text.isEmpty()) {
      text = string(message, "refusal");
    }
    if (!text.isEmpty()) {
      content.addObject().put("type", "text").put("text", text);
    }
    for (JsonNode call : message.path("tool_calls")) {
      ObjectNode toolUse = content.addObject();
      toolUse.put("type", "tool_use");
      toolUse.put("id", call.path("id").asString(""));
      toolUse.put("name", call.path("function").path("name").asString(""));
      toolUse.set("input", input(call.path("function").path("arguments").asString("")));
    }
    if (content.isEmpty()) {
      // Clients read content[0].text; an empty answer still has one (empty) text block.
      content.addObject().put("type", "text").put("text", "");
    }
    JsonNode finish = choice.path("finish_reason");
    JsonNode sequence = choice.path(CanonicalExtensions.STOP_SEQUENCE);
    String stopSequence = sequence.isString() ? sequence.asString() : null;
    out.put("stop_reason", AnthropicMapping.stopReason(finish.isString() ? finish.asString() : null, stopSequence));
    if (stopSequence == null) {
      out.putNull("stop_sequence");
    } else {
      out.put("stop_sequence", stopSequence);
    }
    out.set("usage", AnthropicMapping.anthropicUsage(completion.get("usage")));
    return out;
  }

  private static ObjectNode input(String arguments) {
    if (arguments.isBlank()) {
      return Json.object();
    }
    try {
      JsonNode parsed = Json.parse(arguments.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      if (parsed.isObject()) {
        return (ObjectNode) parsed;
      }
    } catch (RuntimeException notJson) {
      // kept verbatim below
    }
    return Json.object().put(RAW_ARGUMENTS, arguments);
  }

  /** Message content: a string, or text parts joined. */
  private static String text(JsonNode content) {
    if (content.isString()) {
      return content.asString();
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode part : content) {
      if ("text".equals(part.path("type").asString(""))) {
        text.append(part.path("text").asString(""));
      }
    }
    return text.toString();
  }

  private static String string(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value != null && value.isString() ? value.asString() : "";
  }
}
