package dev.spillway.dataplane.protocol.anthropic;

import dev.spillway.dataplane.protocol.canonical.CanonicalExtensions;
import dev.spillway.dataplane.protocol.canonical.CanonicalParts;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.json.Json;
import java.nio.charset.StandardCharsets;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A canonical request (OpenAI chat completions) as an Anthropic Messages request. System and developer messages go
 * to {@code system}; user, assistant and tool messages become content blocks, consecutive turns of the same role
 * merged (tool results travel in a user turn, as Anthropic requires). What Anthropic cannot do is refused with a
 * 400 naming the field ({@code n > 1}, {@code logprobs}, audio, file ids); what it has no use for is dropped;
 * {@code response_format} is emulated with a system instruction. docs/providers.md lists every field.
 */
final class AnthropicRequestTranslator {
  /** Anthropic requires max_tokens; OpenAI does not. */
  static final int DEFAULT_MAX_TOKENS = 4096;

  private static final String JSON_OBJECT_INSTRUCTION =
      "Respond with a single valid JSON object and nothing else: no prose, no Markdown code fences.";

  private final ObjectNode canonical;
  private final ObjectNode out = Json.object();
  private final ArrayNode system = Json.array();
  private final ArrayNode messages = Json.array();
  private final int defaultMaxTokens;

  private AnthropicRequestTranslator(ObjectNode canonical, int defaultMaxTokens) {
    this.canonical = canonical;
    this.defaultMaxTokens = defaultMaxTokens;
  }

  /**
   * @param defaultMaxTokens {@code max_tokens} when the request names none (the provider's
   *                         {@code default_max_tokens} setting, else {@link #DEFAULT_MAX_TOKENS})
   */
  static ObjectNode translate(ObjectNode canonical, String model, boolean stream, int defaultMaxTokens) {
    return new AnthropicRequestTranslator(canonical, defaultMaxTokens).run(model, stream);
  }

  private ObjectNode run(String model, boolean stream) {
    refuseWhatAnthropicCannotDo();
    out.put("model", model);
    JsonNode input = canonical.path("messages");
    for (int i = 0; i < input.size(); i++) {
      message(input.get(i), "messages[" + i + "]");
    }
    responseFormat(canonical.path("response_format"));
    if (!system.isEmpty()) {
      if (system.size() == 1) {
        out.put("system", system.get(0).path("text").asString());
      } else {
        out.set("system", system);
      }
    }
    out.set("messages", messages);
    ObjectNode thinking = thinking();
    long maxTokens = canonical.path("max_completion_tokens").asLong(canonical.path("max_tokens").asLong(0));
    if (maxTokens <= 0) {
      maxTokens = defaultMaxTokens;
      if (thinking != null) {
        // Thinking counts against max_tokens; leave the default room for the answer itself.
        maxTokens += thinking.path("budget_tokens").asLong(0);
      }
    }
    out.put("max_tokens", maxTokens);
    JsonNode stop = canonical.path("stop");
    if (stop.isString()) {
      out.putArray("stop_sequences").add(stop.asString());
    } else if (stop.isArray() && !stop.isEmpty()) {
      out.set("stop_sequences", stop.deepCopy());
    }
    JsonNode temperature = canonical.path("temperature");
    if (temperature.isNumber()) {
      // OpenAI allows 0–2, Anthropic 0–1.
      out.put("temperature", Math.min(1.0, temperature.asDouble()));
    }
    if (canonical.path("top_p").isNumber()) {
      out.set("top_p", canonical.get("top_p").deepCopy());
    }
    if (canonical.path(CanonicalExtensions.TOP_K).isNumber()) {
      out.set("top_k", canonical.get(CanonicalExtensions.TOP_K).deepCopy());
    }
    if (thinking != null) {
      out.set("thinking", thinking);
    }
    tools();
    if (canonical.path("user").isString()) {
      out.putObject("metadata").put("user_id", canonical.path("user").asString());
    }
    if (stream) {
      out.put("stream", true);
    }
    return out;
  }

  private void refuseWhatAnthropicCannotDo() {
    if (canonical.path("n").asInt(1) > 1) {
      throw invalid("n", "anthropic models return one choice per request; n must be 1");
    }
    if (canonical.path("logprobs").asBoolean(false)) {
      throw invalid("logprobs", "anthropic models do not return log probabilities");
    }
    if (canonical.has("audio") && !canonical.path("audio").isNull()) {
      throw invalid("audio", "anthropic models do not produce audio");
    }
    for (JsonNode modality : canonical.path("modalities")) {
      if (!"text".equals(modality.asString(""))) {
        throw invalid("modalities", "anthropic models produce text only");
      }
    }
    if (canonical.has("functions") || canonical.has("function_call")) {
      throw invalid(canonical.has("functions") ? "functions" : "function_call",
          "the legacy functions API is not translated for anthropic providers; use tools and tool_choice");
    }
    if (!canonical.path("messages").isArray()) {
      throw invalid("messages", "must be an array");
    }
  }

  private void message(JsonNode message, String path) {
    String role = message.path("role").asString("");
    switch (role) {
      case "system", "developer" -> {
        // Anthropic has one system prompt; system messages anywhere in the conversation join it, in order.
        JsonNode content = message.path("content");
        if (content.isString()) {
          if (!content.asString().isEmpty()) {
            system.addObject().put("type", "text").put("text", content.asString());
          }
        } else {
          for (JsonNode part : content) {
            String text = part.path("text").asString("");
            if (!text.isEmpty()) {
              system.addObject().put("type", "text").put("text", text);
            }
          }
        }
      }
      case "user" -> append("user", userBlocks(message.path("content"), path + ".content"));
      case "assistant" -> append("assistant", assistantBlocks(message, path));
      case "tool" -> {
        if (!message.path("tool_call_id").isString()) {
          throw invalid(path + ".tool_call_id", "is required on tool messages");
        }
        ArrayNode blocks = Json.array();
        ObjectNode result = blocks.addObject();
        result.put("type", "tool_result");
        result.put("tool_use_id", message.path("tool_call_id").asString());
        if (message.path(CanonicalExtensions.IS_ERROR).asBoolean(false)) {
          result.put("is_error", true);
        }
        JsonNode content = message.path("content");
        if (content.isArray()) {
          ArrayNode parts = result.putArray("content");
          for (JsonNode part : content) {
            String text = part.path("text").asString("");
            if (!text.isEmpty()) {
              parts.addObject().put("type", "text").put("text", text);
            }
          }
        } else {
          result.put("content", content.asString(""));
        }
        append("user", blocks);
      }
      case "function" -> throw invalid(path + ".role",
          "the legacy functions API is not translated for anthropic providers; use tools");
      default -> throw invalid(path + ".role", "must be system, developer, user, assistant or tool");
    }
  }

  /** Anthropic requires alternating turns: a message with the previous one's role joins it. */
  private void append(String role, ArrayNode blocks) {
    CanonicalParts.appendTurn(messages, role, "content", blocks);
  }

  private ArrayNode userBlocks(JsonNode content, String path) {
    ArrayNode blocks = Json.array();
    if (content.isString()) {
      text(blocks, content.asString());
      return blocks;
    }
    for (int i = 0; i < content.size(); i++) {
      JsonNode part = content.get(i);
      String partPath = path + "[" + i + "]";
      String type = part.path("type").asString("");
      switch (type) {
        case "text" -> text(blocks, part.path("text").asString(""));
        case "image_url" -> blocks.add(image(part.path("image_url").path("url").asString(""), partPath));
        case "file" -> blocks.add(file(part.path("file"), partPath));
        case "input_audio" -> throw invalid(partPath, "anthropic models do not accept audio input");
        default -> throw invalid(partPath + ".type", "content parts of type '" + type
            + "' cannot be sent to anthropic providers");
      }
    }
    return blocks;
  }

  private ObjectNode image(String url, String path) {
    ObjectNode block = Json.object().put("type", "image");
    ObjectNode source = block.putObject("source");
    if (url.startsWith("data:")) {
      DataUrl data = DataUrl.parse(url, path);
      source.put("type", "base64").put("media_type", data.mediaType()).put("data", data.base64());
    } else if (url.startsWith("https://") || url.startsWith("http://")) {
      source.put("type", "url").put("url", url);
    } else {
      throw invalid(path + ".image_url.url", "must be a data: URL or an http(s) URL");
    }
    return block;
  }

  private ObjectNode file(JsonNode file, String path) {
    String data = file.path("file_data").asString("");
    if (data.isEmpty()) {
      throw invalid(path + ".file", "files by file_id cannot be sent to anthropic providers; send file_data");
    }
    DataUrl url = DataUrl.parse(data, path + ".file.file_data");
    if (!url.mediaType().equals("application/pdf")) {
      throw invalid(path + ".file.file_data", "anthropic providers take PDF files only, not " + url.mediaType());
    }
    ObjectNode block = Json.object().put("type", "document");
    block.putObject("source").put("type", "base64").put("media_type", "application/pdf").put("data", url.base64());
    if (file.path("filename").isString()) {
      block.put("title", file.path("filename").asString());
    }
    return block;
  }

  private ArrayNode assistantBlocks(JsonNode message, String path) {
    ArrayNode blocks = Json.array();
    // Thinking comes first in an assistant turn, and Anthropic takes it back only with its signature; reasoning
    // from other providers (reasoning_content without signed blocks) cannot be replayed and is left out.
    for (JsonNode block : message.path(CanonicalExtensions.THINKING)) {
      String type = block.path("type").asString("");
      if (type.equals("thinking") && !block.path("signature").asString("").isEmpty()) {
        blocks.addObject().put("type", "thinking").put("thinking", block.path("thinking").asString(""))
            .put("signature", block.path("signature").asString());
      } else if (type.equals("redacted_thinking")) {
        blocks.addObject().put("type", "redacted_thinking").put("data", block.path("data").asString(""));
      }
    }
    JsonNode content = message.path("content");
    if (content.isString()) {
      text(blocks, content.asString());
    } else {
      for (JsonNode part : content) {
        text(blocks, part.path("text").asString(part.path("refusal").asString("")));
      }
    }
    JsonNode calls = message.path("tool_calls");
    for (int i = 0; i < calls.size(); i++) {
      JsonNode call = calls.get(i);
      String callPath = path + ".tool_calls[" + i + "]";
      ObjectNode toolUse = blocks.addObject();
      toolUse.put("type", "tool_use");
      toolUse.put("id", call.path("id").asString(""));
      toolUse.put("name", call.path("function").path("name").asString(""));
      toolUse.set("input", arguments(call.path("function").path("arguments").asString(""), callPath));
    }
    return blocks;
  }

  private static ObjectNode arguments(String arguments, String path) {
    if (arguments.isBlank()) {
      return Json.object();
    }
    try {
      JsonNode parsed = Json.parse(arguments.getBytes(StandardCharsets.UTF_8));
      if (parsed.isObject()) {
        return (ObjectNode) parsed;
      }
    } catch (RuntimeException e) {
      // reported below
    }
    throw invalid(path + ".function.arguments", "must be a JSON object to be sent to anthropic providers");
  }

  /** Anthropic refuses empty text blocks. */
  private static void text(ArrayNode blocks, String text) {
    if (!text.isEmpty()) {
      blocks.addObject().put("type", "text").put("text", text);
    }
  }

  private void responseFormat(JsonNode format) {
    switch (format.path("type").asString("text")) {
      case "json_object" -> system.addObject().put("type", "text").put("text", JSON_OBJECT_INSTRUCTION);
      case "json_schema" -> {
        JsonNode spec = format.path("json_schema");
        String name = spec.path("name").asString("response");
        system.addObject().put("type", "text").put("text",
            "Respond with a single JSON value that conforms to the JSON Schema named \"" + name
                + "\" below, and nothing else: no prose, no Markdown code fences.\n"
                + Json.mapper().writeValueAsString(spec.path("schema")));
      }
      default -> { } // text
    }
  }

  /** Spillway's thinking extension wins; else OpenAI's reasoning_effort is mapped to a thinking budget. */
  private ObjectNode thinking() {
    JsonNode extension = canonical.get(CanonicalExtensions.THINKING);
    if (extension != null && extension.isObject()) {
      return (ObjectNode) extension.deepCopy();
    }
    long budget = switch (canonical.path("reasoning_effort").asString("")) {
      case "low" -> 1024;
      case "medium" -> 4096;
      case "high" -> 16384;
      default -> 0; // absent, none, minimal
    };
    if (budget == 0) {
      return null;
    }
    return Json.object().put("type", "enabled").put("budget_tokens", budget);
  }

  private void tools() {
    JsonNode tools = canonical.path("tools");
    if (!tools.isArray() || tools.isEmpty()) {
      return;
    }
    ArrayNode outTools = out.putArray("tools");
    for (int i = 0; i < tools.size(); i++) {
      JsonNode tool = tools.get(i);
      if (!"function".equals(tool.path("type").asString("function"))) {
        throw invalid("tools[" + i + "].type", "only function tools can be sent to anthropic providers");
      }
      JsonNode function = tool.path("function");
      ObjectNode t = outTools.addObject();
      t.put("name", function.path("name").asString(""));
      if (function.path("description").isString()) {
        t.put("description", function.path("description").asString());
      }
      JsonNode parameters = function.path("parameters");
      t.set("input_schema", parameters.isObject() ? parameters.deepCopy()
          : Json.object().put("type", "object").set("properties", Json.object()));
    }
    ObjectNode choice = null;
    JsonNode toolChoice = canonical.path("tool_choice");
    if (toolChoice.isString()) {
      choice = switch (toolChoice.asString()) {
        case "none" -> Json.object().put("type", "none");
        case "required" -> Json.object().put("type", "any");
        default -> Json.object().put("type", "auto");
      };
    } else if (toolChoice.isObject()) {
      choice = Json.object().put("type", "tool").put("name", toolChoice.path("function").path("name").asString(""));
    }
    if (canonical.path("parallel_tool_calls").isBoolean() && !canonical.path("parallel_tool_calls").asBoolean()) {
      if (choice == null) {
        choice = Json.object().put("type", "auto");
      }
      if (!"none".equals(choice.path("type").asString())) {
        choice.put("disable_parallel_tool_use", true);
      }
    }
    if (choice != null) {
      out.set("tool_choice", choice);
    }
  }

  private static GatewayException invalid(String field, String problem) {
    return GatewayError.INVALID_REQUEST.exception(field + ": " + problem, field);
  }

  /** A {@code data:<media type>;base64,<data>} URL. */
  private record DataUrl(String mediaType, String base64) {
    static DataUrl parse(String url, String path) {
      int comma = url.indexOf(',');
      String header = comma < 0 ? "" : url.substring(5, comma);
      if (comma < 0 || !header.endsWith(";base64")) {
        throw invalid(path, "data URLs must be base64 encoded (data:<media type>;base64,…)");
      }
      return new DataUrl(header.substring(0, header.length() - 7), url.substring(comma + 1));
    }
  }
}
