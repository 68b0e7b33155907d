package dev.spillway.dataplane.tracing;

import dev.spillway.dataplane.json.Json;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A canonical chat (OpenAI chat completions) in the shape the GenAI conventions give content on spans:
 * {@code gen_ai.system_instructions}, {@code gen_ai.input.messages} and {@code gen_ai.output.messages}, each a JSON
 * array of parts ({@code text}, {@code tool_call}, {@code tool_call_response}, {@code uri}, {@code blob}).
 *
 * <p>Every text the client or the model wrote goes through {@code text} on its way in (redaction and the size cap),
 * field by field, so that a redaction never has to reason about JSON escapes. Inline binary content (a
 * {@code data:} image) keeps its media type but never its bytes: a span is no place for them.
 */
final class GenAiMessages {
  private GenAiMessages() {}

  /** The system and developer messages' text parts, or null when there are none. */
  static ArrayNode systemInstructions(JsonNode request, UnaryOperator<String> text) {
    ArrayNode parts = Json.array();
    for (JsonNode message : request.path("messages")) {
      String role = message.path("role").asString("");
      if (role.equals("system") || role.equals("developer")) {
        contentParts(message.get("content"), parts, text);
      }
    }
    return parts.isEmpty() ? null : parts;
  }

  /** Every other message of the request, or null when there are none. */
  static ArrayNode input(JsonNode request, UnaryOperator<String> text) {
    ArrayNode messages = Json.array();
    for (JsonNode message : request.path("messages")) {
      String role = message.path("role").asString("");
      if (role.equals("system") || role.equals("developer")) {
        continue;
      }
      ObjectNode out = Json.object().put("role", role);
      ArrayNode parts = out.putArray("parts");
      if (role.equals("tool")) {
        ObjectNode response = parts.addObject().put("type", "tool_call_response");
        response.put("id", message.path("tool_call_id").asString(null));
        response.put("response", text.apply(plainText(message.get("content"))));
      } else {
        contentParts(message.get("content"), parts, text);
        toolCalls(message.get("tool_calls"), parts, text);
      }
      messages.add(out);
    }
    return messages.isEmpty() ? null : messages;
  }

  /** Each choice of a canonical completion as an assistant message with its finish reason, or null. */
  static ArrayNode output(JsonNode completion, UnaryOperator<String> text) {
    if (completion == null) {
      return null;
    }
    ArrayNode messages = Json.array();
    for (JsonNode choice : completion.path("choices")) {
      JsonNode message = choice.path("message");
      ObjectNode out = Json.object().put("role", message.path("role").asString("assistant"));
      ArrayNode parts = out.putArray("parts");
      contentParts(message.get("content"), parts, text);
      toolCalls(message.get("tool_calls"), parts, text);
      JsonNode reason = choice.get("finish_reason");
      out.put("finish_reason", reason != null && reason.isString() ? reason.asString() : "stop");
      messages.add(out);
    }
    return messages.isEmpty() ? null : messages;
  }

  private static void contentParts(JsonNode content, ArrayNode parts, UnaryOperator<String> text) {
    if (content == null || content.isNull()) {
      return;
    }
    if (content.isString()) {
      parts.addObject().put("type", "text").put("content", text.apply(content.asString()));
      return;
    }
    for (JsonNode part : content) {
      String type = part.path("type").asString("");
      switch (type) {
        case "text" -> parts.addObject().put("type", "text").put("content", text.apply(part.path("text")
            .asString("")));
        case "image_url" -> image(part.path("image_url").path("url").asString(""), parts, text);
        case "input_audio" -> parts.addObject().put("type", "blob").put("modality", "audio")
            .put("mime_type", "audio/" + part.path("input_audio").path("format").asString("wav"));
        default -> parts.addObject().put("type", type.isEmpty() ? "unknown" : type);
      }
    }
  }

  private static void image(String url, ArrayNode parts, UnaryOperator<String> text) {
    if (url.startsWith("data:")) {
      int end = url.indexOf(';');
      String mime = end > 5 ? url.substring(5, end) : "application/octet-stream";
      parts.addObject().put("type", "blob").put("modality", "image").put("mime_type", mime);
    } else {
      // A URL may carry a signed token in its query: it is text like any other and is redacted as such.
      parts.addObject().put("type", "uri").put("modality", "image").put("uri", text.apply(url));
    }
  }

  private static void toolCalls(JsonNode calls, ArrayNode parts, UnaryOperator<String> text) {
    if (calls == null) {
      return;
    }
    for (JsonNode call : calls) {
      ObjectNode part = parts.addObject().put("type", "tool_call");
      part.put("id", call.path("id").asString(null));
      part.put("name", call.path("function").path("name").asString(""));
      // Arguments are the model's text (a JSON document as a string): redacted as text, kept as text.
      part.put("arguments", text.apply(call.path("function").path("arguments").asString("")));
    }
  }

  private static String plainText(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isString()) {
      return content.asString();
    }
    StringBuilder joined = new StringBuilder();
    for (JsonNode part : content) {
      if (part.path("type").asString("").equals("text")) {
        joined.append(part.path("text").asString(""));
      }
    }
    return joined.toString();
  }
}
