package dev.spillway.dataplane.protocol.anthropic;

import dev.spillway.dataplane.protocol.canonical.CanonicalExtensions;
import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.Requests;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.json.Json;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Validates an Anthropic Messages request and translates it into the canonical form (an OpenAI chat completions
 * request). What chat completions cannot say travels in {@code x_spillway_*} fields; what has no canonical form at
 * all (server tools, URL or file-id documents, MCP servers, …) is named in {@link ChatCall#NATIVE_ONLY}, so the
 * request still reaches an {@code anthropic} provider unchanged but is refused with a 400 by any target that would
 * need translation. docs/providers.md lists every field.
 *
 * <p>The same walk checks the request as Anthropic documents it, before any provider is called, native or not:
 * {@code max_tokens} and {@code top_k} as 32-bit integers (a larger number is a 400, not a crash), {@code temperature}
 * and {@code top_p} from 0 to 1, the fields of known content blocks, {@code thinking}, {@code metadata}; unknown
 * block and tool types pass (they are native only). Error messages name the field the way Anthropic does
 * ({@code messages.1.content.0.type: …}), with the shared checks of {@link Requests}.
 */
final class AnthropicToCanonical {
  private final ObjectNode body;
  private final ObjectNode canonical = Json.object();
  private final ArrayNode messages = Json.array();
  private String nativeOnly;

  private AnthropicToCanonical(ObjectNode body) {
    this.body = body;
  }

  /**
   * @param requireMaxTokens true for {@code /v1/messages}, false for {@code /v1/messages/count_tokens}, which has
   *                         no {@code max_tokens}
   */
  static ObjectNode translate(ObjectNode body, boolean requireMaxTokens) {
    return new AnthropicToCanonical(body).run(requireMaxTokens);
  }

  private ObjectNode run(boolean requireMaxTokens) {
    canonical.put("model", Requests.requireModel(body));
    // A 32-bit count, as Anthropic declares it: a number too large for a long is a 400 here, not a crash later.
    JsonNode maxTokens = Requests.optionalInteger(body, "max_tokens", 1, Requests.MAX_INT);
    if (maxTokens == null && requireMaxTokens) {
      throw invalid("max_tokens", "Field required");
    }
    system(body.get("system"));
    JsonNode input = body.get("messages");
    if (input == null || input.isNull()) {
      throw invalid("messages", "Field required");
    }
    if (!input.isArray() || input.isEmpty()) {
      throw invalid("messages", "must be a non-empty array");
    }
    for (int i = 0; i < input.size(); i++) {
      message(input.get(i), "messages." + i);
    }
    canonical.set("messages", messages);
    if (maxTokens != null) {
      canonical.put("max_tokens", maxTokens.asLong());
    }
    if (Requests.optionalBoolean(body, "stream")) {
      canonical.put("stream", true);
    }
    tools(body.get("tools"));
    toolChoice(body.get("tool_choice"));
    stopSequences(body.get("stop_sequences"));
    copy(Requests.optionalNumber(body, "temperature", 0, 1), "temperature");
    copy(Requests.optionalNumber(body, "top_p", 0, 1), "top_p");
    JsonNode topK = Requests.optionalInteger(body, "top_k", 0, Requests.MAX_INT);
    if (topK != null) {
      canonical.put(CanonicalExtensions.TOP_K, topK.asLong());
    }
    thinking(body.get("thinking"));
    JsonNode metadata = Requests.optionalObject(body, "metadata");
    String userId = metadata == null ? null : Requests.optionalString(metadata, "user_id", "metadata.user_id");
    if (userId != null) {
      canonical.put("user", userId);
    }
    for (String field : new String[] {"container", "mcp_servers", "context_management"}) {
      JsonNode value = body.get(field);
      if (value != null && !value.isNull()) {
        nativeOnly(field + " has no OpenAI chat completions form");
      }
    }
    if (nativeOnly != null) {
      canonical.put(ChatCall.NATIVE_ONLY, nativeOnly
          + "; only a provider of type anthropic can serve this request");
    }
    return canonical;
  }

  private void system(JsonNode system) {
    if (system == null || system.isNull()) {
      return;
    }
    if (system.isString()) {
      if (!system.asString().isEmpty()) {
        messages.addObject().put("role", "system").put("content", system.asString());
      }
      return;
    }
    if (!system.isArray()) {
      throw invalid("system", "must be a string or an array of text blocks");
    }
    ArrayNode parts = Json.array();
    for (int i = 0; i < system.size(); i++) {
      JsonNode block = system.get(i);
      if (!"text".equals(block.path("type").asString("")) || !block.path("text").isString()) {
        throw invalid("system." + i, "must be a text block");
      }
      parts.addObject().put("type", "text").put("text", block.path("text").asString());
    }
    if (parts.isEmpty()) {
      return;
    }
    ObjectNode message = messages.addObject().put("role", "system");
    if (parts.size() == 1) {
      message.put("content", parts.get(0).path("text").asString());
    } else {
      message.set("content", parts);
    }
  }

  private void message(JsonNode message, String path) {
    if (!message.isObject()) {
      throw invalid(path, "must be an object");
    }
    JsonNode role = message.get("role");
    if (role == null || role.isNull()) {
      throw invalid(path + ".role", "Field required");
    }
    if (!role.isString()) {
      throw invalid(path + ".role", "must be user or assistant" + Requests.got(role));
    }
    JsonNode content = message.get("content");
    if (content == null || content.isNull()) {
      throw invalid(path + ".content", "Field required");
    }
    if (!content.isString() && !content.isArray()) {
      throw invalid(path + ".content", "must be a string or an array of content blocks" + Requests.got(content));
    }
    for (int j = 0; content.isArray() && j < content.size(); j++) {
      if (!content.get(j).isObject() || !content.get(j).path("type").isString()) {
        throw invalid(path + ".content." + j, "must be a content block with a type");
      }
    }
    switch (role.asString()) {
      case "user" -> user(content, path);
      case "assistant" -> assistant(content, path);
      default -> throw invalid(path + ".role", "must be user or assistant (got " + Requests.quote(role.asString())
          + ")");
    }
  }

  private void user(JsonNode content, String path) {
    if (content.isString()) {
      messages.addObject().put("role", "user").put("content", content.asString());
      return;
    }
    ArrayNode parts = Json.array();
    // Images and documents returned by tools have no place in an OpenAI tool message; they follow as user content.
    ArrayNode fromTools = Json.array();
    for (int j = 0; j < content.size(); j++) {
      JsonNode block = content.get(j);
      String blockPath = path + ".content." + j;
      if ("tool_result".equals(block.path("type").asString())) {
        toolResult(block, blockPath, fromTools);
      } else {
        part(block, blockPath, parts);
      }
    }
    fromTools.addAll(parts);
    if (fromTools.isEmpty()) {
      return;
    }
    ObjectNode message = messages.addObject().put("role", "user");
    if (fromTools.size() == 1 && "text".equals(fromTools.get(0).path("type").asString())) {
      message.put("content", fromTools.get(0).path("text").asString());
    } else {
      message.set("content", fromTools);
    }
  }

  private void toolResult(JsonNode block, String path, ArrayNode fromTools) {
    JsonNode toolUseId = block.get("tool_use_id");
    if (toolUseId == null || !toolUseId.isString()) {
      throw invalid(path + ".tool_use_id", "Field required");
    }
    boolean isError = Requests.optionalBoolean(block, "is_error", path + ".is_error");
    ObjectNode message = messages.addObject().put("role", "tool").put("tool_call_id", toolUseId.asString());
    if (isError) {
      message.put(CanonicalExtensions.IS_ERROR, true);
    }
    JsonNode content = block.get("content");
    if (content == null || content.isNull()) {
      message.put("content", "");
    } else if (content.isString()) {
      message.put("content", content.asString());
    } else if (content.isArray()) {
      List<String> texts = new ArrayList<>();
      for (int k = 0; k < content.size(); k++) {
        JsonNode inner = content.get(k);
        String innerPath = path + ".content." + k;
        if (!inner.isObject() || !inner.path("type").isString()) {
          throw invalid(innerPath, "must be a content block with a type");
        }
        if ("text".equals(inner.path("type").asString())) {
          texts.add(requireString(inner, "text", innerPath + ".text"));
        } else {
          part(inner, innerPath, fromTools);
        }
      }
      if (texts.size() == 1) {
        message.put("content", texts.get(0));
      } else {
        ArrayNode parts = message.putArray("content");
        texts.forEach(t -> parts.addObject().put("type", "text").put("text", t));
      }
    } else {
      throw invalid(path + ".content", "must be a string or an array of content blocks");
    }
  }

  /** One user content block as an OpenAI content part. */
  private void part(JsonNode block, String path, ArrayNode parts) {
    String type = block.path("type").asString("");
    switch (type) {
      case "text" -> parts.addObject().put("type", "text").put("text", requireString(block, "text", path + ".text"));
      case "image" -> {
        JsonNode source = source(block, path);
        String url = switch (requireString(source, "type", path + ".source.type")) {
          case "base64" -> "data:" + requireString(source, "media_type", path + ".source.media_type") + ";base64,"
              + requireString(source, "data", path + ".source.data");
          case "url" -> requireString(source, "url", path + ".source.url");
          case "file" -> {
            requireString(source, "file_id", path + ".source.file_id");
            nativeOnly(path + ": images by file_id have no OpenAI chat completions form");
            yield null;
          }
          default -> throw invalid(path + ".source.type", "must be base64, url or file");
        };
        if (url != null) {
          parts.addObject().put("type", "image_url").putObject("image_url").put("url", url);
        }
      }
      case "document" -> document(block, path, parts);
      default -> nativeOnly(path + ": content blocks of type " + type
          + " have no OpenAI chat completions form");
    }
  }

  private void document(JsonNode block, String path, ArrayNode parts) {
    JsonNode source = source(block, path);
    String title = Requests.optionalString(block, "title", path + ".title");
    String type = requireString(source, "type", path + ".source.type");
    switch (type) {
      case "base64" -> {
        String mediaType = requireString(source, "media_type", path + ".source.media_type");
        String data = requireString(source, "data", path + ".source.data");
        ObjectNode file = parts.addObject().put("type", "file").putObject("file");
        file.put("filename", title == null ? "document.pdf" : title);
        file.put("file_data", "data:" + mediaType + ";base64," + data);
      }
      case "text" -> parts.addObject().put("type", "text")
          .put("text", requireString(source, "data", path + ".source.data"));
      case "content" -> {
        JsonNode inner = source.get("content");
        if (inner != null && inner.isString()) {
          parts.addObject().put("type", "text").put("text", inner.asString());
        } else if (inner != null && inner.isArray()) {
          for (int k = 0; k < inner.size(); k++) {
            String innerPath = path + ".source.content." + k;
            if (!inner.get(k).isObject() || !inner.get(k).path("type").isString()) {
              throw invalid(innerPath, "must be a content block with a type");
            }
            part(inner.get(k), innerPath, parts);
          }
        } else {
          throw invalid(path + ".source.content", "must be a string or an array of content blocks");
        }
      }
      default -> {
        if ("url".equals(type)) {
          requireString(source, "url", path + ".source.url");
        } else if ("file".equals(type)) {
          requireString(source, "file_id", path + ".source.file_id");
        }
        nativeOnly(path + ": documents with a " + type + " source have no OpenAI chat completions form");
      }
    }
  }

  /** An image's or document's {@code source}, which must be an object. */
  private static JsonNode source(JsonNode block, String path) {
    JsonNode source = block.get("source");
    if (source == null || source.isNull()) {
      throw invalid(path + ".source", "Field required");
    }
    if (!source.isObject()) {
      throw invalid(path + ".source", "must be an object" + Requests.got(source));
    }
    return source;
  }

  private void assistant(JsonNode content, String path) {
    ObjectNode message = Json.object().put("role", "assistant");
    if (content.isString()) {
      message.put("content", content.asString());
      messages.add(message);
      return;
    }
    List<String> texts = new ArrayList<>();
    StringBuilder reasoning = new StringBuilder();
    ArrayNode thinking = Json.array();
    ArrayNode toolCalls = Json.array();
    for (int j = 0; j < content.size(); j++) {
      JsonNode block = content.get(j);
      String blockPath = path + ".content." + j;
      String type = block.path("type").asString("");
      switch (type) {
        case "text" -> texts.add(requireString(block, "text", blockPath + ".text"));
        case "thinking" -> {
          String text = requireString(block, "thinking", blockPath + ".thinking");
          // Thinking that Spillway translated from another provider comes back unsigned; it is accepted.
          String signature = Requests.optionalString(block, "signature", blockPath + ".signature");
          reasoning.append(text);
          ObjectNode copy = thinking.addObject().put("type", "thinking").put("thinking", text);
          if (signature != null) {
            copy.put("signature", signature);
          }
        }
        case "redacted_thinking" -> thinking.addObject().put("type", "redacted_thinking")
            .put("data", requireString(block, "data", blockPath + ".data"));
        case "tool_use" -> {
          String id = requireString(block, "id", blockPath + ".id");
          String name = requireString(block, "name", blockPath + ".name");
          JsonNode input = Requests.optionalObject(block, "input", blockPath + ".input");
          ObjectNode call = toolCalls.addObject();
          call.put("id", id);
          call.put("type", "function");
          ObjectNode function = call.putObject("function");
          function.put("name", name);
          function.put("arguments", Json.mapper().writeValueAsString(input != null ? input : Json.object()));
        }
        default -> nativeOnly(blockPath + ": content blocks of type " + type
            + " have no OpenAI chat completions form");
      }
    }
    if (texts.isEmpty()) {
      if (toolCalls.isEmpty()) {
        message.put("content", "");
      } else {
        message.putNull("content");
      }
    } else if (texts.size() == 1) {
      message.put("content", texts.get(0));
    } else {
      ArrayNode parts = message.putArray("content");
      texts.forEach(t -> parts.addObject().put("type", "text").put("text", t));
    }
    if (!thinking.isEmpty()) {
      message.set(CanonicalExtensions.THINKING, thinking);
      if (!reasoning.isEmpty()) {
        message.put(CanonicalExtensions.REASONING_CONTENT, reasoning.toString());
      }
    }
    if (!toolCalls.isEmpty()) {
      message.set("tool_calls", toolCalls);
    }
    messages.add(message);
  }

  private void tools(JsonNode tools) {
    if (tools == null || tools.isNull()) {
      return;
    }
    if (!tools.isArray()) {
      throw invalid("tools", "must be an array");
    }
    ArrayNode out = Json.array();
    for (int i = 0; i < tools.size(); i++) {
      JsonNode tool = tools.get(i);
      String path = "tools." + i;
      if (!tool.isObject() || !tool.path("name").isString()) {
        throw invalid(path + ".name", "Field required");
      }
      String type = tool.path("type").asString("custom");
      if (!type.equals("custom")) {
        // web_search_…, bash_…, text_editor_…, computer_…, code_execution_…: Anthropic-defined tools.
        nativeOnly(path + ": the Anthropic tool " + type + " has no OpenAI chat completions form");
        continue;
      }
      JsonNode schema = tool.get("input_schema");
      if (schema == null || !schema.isObject()) {
        throw invalid(path + ".input_schema", "Field required");
      }
      String description = Requests.optionalString(tool, "description", path + ".description");
      ObjectNode function = out.addObject().put("type", "function").putObject("function");
      function.put("name", tool.path("name").asString());
      if (description != null) {
        function.put("description", description);
      }
      function.set("parameters", schema.deepCopy());
    }
    if (!out.isEmpty()) {
      canonical.set("tools", out);
    }
  }

  private void toolChoice(JsonNode choice) {
    if (choice == null || choice.isNull()) {
      return;
    }
    if (!choice.isObject() || !choice.path("type").isString()) {
      throw invalid("tool_choice", "must be an object with a type");
    }
    switch (choice.path("type").asString()) {
      case "auto" -> canonical.put("tool_choice", "auto");
      case "any" -> canonical.put("tool_choice", "required");
      case "none" -> canonical.put("tool_choice", "none");
      case "tool" -> {
        if (!choice.path("name").isString()) {
          throw invalid("tool_choice.name", "Field required");
        }
        canonical.putObject("tool_choice").put("type", "function").putObject("function")
            .put("name", choice.path("name").asString());
      }
      default -> throw invalid("tool_choice.type", "must be auto, any, tool or none");
    }
    if (Requests.optionalBoolean(choice, "disable_parallel_tool_use", "tool_choice.disable_parallel_tool_use")) {
      canonical.put("parallel_tool_calls", false);
    }
  }

  private void stopSequences(JsonNode stops) {
    if (stops == null || stops.isNull()) {
      return;
    }
    if (!stops.isArray()) {
      throw invalid("stop_sequences", "must be an array of strings");
    }
    ArrayNode out = Json.array();
    for (int i = 0; i < stops.size(); i++) {
      if (!stops.get(i).isString()) {
        throw invalid("stop_sequences." + i, "must be a string");
      }
      out.add(stops.get(i).asString());
    }
    if (!out.isEmpty()) {
      canonical.set("stop", out);
    }
  }

  private void copy(JsonNode value, String canonicalField) {
    if (value != null) {
      canonical.set(canonicalField, value);
    }
  }

  /**
   * {@code {"type":"enabled","budget_tokens":N}}, {@code {"type":"disabled"}}; other types (newer modes) pass as
   * they are.
   */
  private void thinking(JsonNode thinking) {
    if (thinking == null || thinking.isNull()) {
      return;
    }
    if (!thinking.isObject()) {
      throw invalid("thinking", "must be an object with a type" + Requests.got(thinking));
    }
    String type = requireString(thinking, "type", "thinking.type");
    if ("enabled".equals(type)) {
      if (!thinking.hasNonNull("budget_tokens")) {
        throw invalid("thinking.budget_tokens", "Field required");
      }
      Requests.optionalInteger(thinking, "budget_tokens", "thinking.budget_tokens", 1, Requests.MAX_INT);
    }
    canonical.set(CanonicalExtensions.THINKING, thinking.deepCopy());
  }

  /** {@code node.field} as a string that must be there, in Anthropic's words. */
  private static String requireString(JsonNode node, String field, String path) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw invalid(path, "Field required");
    }
    if (!value.isString()) {
      throw invalid(path, "must be a string" + Requests.got(value));
    }
    return value.asString();
  }

  private void nativeOnly(String reason) {
    if (nativeOnly == null) {
      nativeOnly = reason;
    }
  }

  private static GatewayException invalid(String field, String problem) {
    return GatewayError.INVALID_REQUEST.exception(field + ": " + problem, field);
  }
}
