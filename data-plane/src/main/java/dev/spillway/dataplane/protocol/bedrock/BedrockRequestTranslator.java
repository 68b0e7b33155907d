package dev.spillway.dataplane.protocol.bedrock;

import static dev.spillway.dataplane.protocol.canonical.CanonicalParts.invalid;

import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.canonical.CanonicalParts;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A canonical request (OpenAI chat completions) as a Bedrock Converse request. System and developer messages go to
 * {@code system}; user, assistant and tool messages become content blocks in alternating {@code user} and
 * {@code assistant} turns (tool results travel in a user turn); images and documents must come inline as data: URLs;
 * sampling fields go to {@code inferenceConfig}, tools and the tool choice to {@code toolConfig}, where
 * {@code response_format} is emulated with a tool the model is told to call ({@link #STRUCTURED_OUTPUT_TOOL}); Claude's
 * thinking and {@code top_k} go to {@code additionalModelRequestFields}. What Bedrock cannot take is refused with a
 * 400 naming the field. docs/providers.md lists what is mapped, emulated and dropped.
 */
final class BedrockRequestTranslator {
  /** The tool that emulates {@code response_format} (Bedrock has no JSON mode); its input becomes the answer. */
  static final String STRUCTURED_OUTPUT_TOOL = "spillway_structured_output";
  private static final Map<String, String> IMAGE_FORMATS = Map.of("image/png", "png", "image/jpeg", "jpeg",
      "image/jpg", "jpeg", "image/gif", "gif", "image/webp", "webp");
  private static final Map<String, String> DOCUMENT_FORMATS = Map.of("application/pdf", "pdf", "text/csv", "csv",
      "application/msword", "doc",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx",
      "application/vnd.ms-excel", "xls",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx",
      "text/html", "html", "text/plain", "txt", "text/markdown", "md");

  private BedrockRequestTranslator() {}

  /** The Converse request body for a canonical request to {@code model}. */
  static ObjectNode translate(ObjectNode canonical, String model) {
    if (CanonicalParts.choiceCount(canonical) > 1) {
      throw invalid("n", "bedrock returns one choice per request; n must be 1");
    }
    ObjectNode out = Json.object();
    ArrayNode system = Json.array();
    ArrayNode messages = Json.array();
    Set<String> historyTools = new LinkedHashSet<>();
    JsonNode input = canonical.path("messages");
    for (int i = 0; i < input.size(); i++) {
      JsonNode message = input.get(i);
      String field = "messages[" + i + "]";
      String role = message.path("role").asString("");
      switch (role) {
        case "system", "developer" -> {
          String text = CanonicalParts.text(message.get("content"), field + ".content");
          if (!text.isEmpty()) {
            system.addObject().put("text", text);
          }
        }
        case "user" -> append(messages, "user", userBlocks(message.get("content"), field + ".content"));
        case "assistant" -> append(messages, "assistant", assistantBlocks(message, field, historyTools));
        case "tool" -> append(messages, "user", toolResult(message, field));
        default -> throw invalid(field + ".role", "bedrock cannot take a " + CanonicalParts.describe(role)
            + " message (expected system, developer, user, assistant or tool)");
      }
    }
    out.set("messages", messages);
    if (!system.isEmpty()) {
      out.set("system", system);
    }
    ObjectNode inference = inferenceConfig(canonical);
    if (!inference.isEmpty()) {
      out.set("inferenceConfig", inference);
    }
    ObjectNode toolConfig = toolConfig(canonical, historyTools, messagesUseTools(messages));
    if (toolConfig != null) {
      out.set("toolConfig", toolConfig);
    }
    ObjectNode additional = additionalFields(canonical);
    // These fields are Claude's; other models on Bedrock refuse them ("extraneous key"), so only Claude gets them.
    if (!additional.isEmpty() && isClaude(model)) {
      out.set("additionalModelRequestFields", additional);
    }
    return out;
  }

  /** Claude model ids, inference profiles and ARNs that name one; an application profile ARN does not. */
  private static boolean isClaude(String model) {
    return model.toLowerCase(Locale.ROOT).contains("claude");
  }

  /**
   * Model-specific fields, in Claude's names (the models on Bedrock that take them): Anthropic's thinking
   * configuration (the extension wins; else {@code reasoning_effort} low/medium/high → a 1024/4096/16384-token
   * budget, as for the anthropic adapter) and {@code top_k}.
   */
  private static ObjectNode additionalFields(ObjectNode canonical) {
    ObjectNode additional = Json.object();
    JsonNode thinking = canonical.get(CanonicalParts.THINKING);
    if (thinking != null && thinking.isObject()) {
      additional.set("thinking", thinking);
    } else {
      long budget = switch (canonical.path("reasoning_effort").asString("")) {
        case "low" -> 1024;
        case "medium" -> 4096;
        case "high" -> 16384;
        default -> 0;
      };
      if (budget > 0) {
        additional.putObject("thinking").put("type", "enabled").put("budget_tokens", budget);
      }
    }
    JsonNode topK = canonical.get(CanonicalParts.TOP_K);
    if (topK != null && topK.isNumber()) {
      additional.set("top_k", topK);
    }
    return additional;
  }

  /** Converse wants alternating roles: consecutive messages of one role become one message. */
  private static void append(ArrayNode messages, String role, ArrayNode blocks) {
    CanonicalParts.appendTurn(messages, role, "content", blocks);
  }

  private static ArrayNode userBlocks(JsonNode content, String field) {
    ArrayNode blocks = Json.array();
    if (content == null || content.isNull() || content.isString()) {
      String text = content == null || content.isNull() ? "" : content.asString();
      if (!text.isEmpty()) {
        blocks.addObject().put("text", text);
      }
      return blocks;
    }
    if (!content.isArray()) {
      throw invalid(field, "must be a string or an array of content parts");
    }
    int documents = 0;
    for (int j = 0; j < content.size(); j++) {
      JsonNode part = content.get(j);
      String partField = field + "[" + j + "]";
      String type = part.path("type").asString("");
      switch (type) {
        case "text" -> {
          String text = part.path("text").asString("");
          if (!text.isEmpty()) {
            blocks.addObject().put("text", text);
          }
        }
        case "image_url" -> blocks.add(image(part.path("image_url").path("url").asString(null),
            partField + ".image_url.url"));
        case "file" -> blocks.add(document(part.path("file"), partField + ".file", ++documents));
        default -> throw invalid(partField + ".type", "bedrock cannot take a content part of type "
            + CanonicalParts.describe(type) + " (text, image_url and file are supported)");
      }
    }
    return blocks;
  }

  private static ObjectNode image(String url, String field) {
    CanonicalParts.DataUrl data = CanonicalParts.DataUrl.parse(url, field);
    if (data == null) {
      throw invalid(field, "bedrock accepts images only as base64 data: URLs, not links; "
          + "send data:image/png;base64,… instead");
    }
    String format = IMAGE_FORMATS.get(data.mediaType());
    if (format == null) {
      throw invalid(field, "bedrock accepts png, jpeg, gif and webp images, not " + data.mediaType());
    }
    ObjectNode block = Json.object();
    ObjectNode image = block.putObject("image");
    image.put("format", format);
    image.putObject("source").put("bytes", data.base64());
    return block;
  }

  private static ObjectNode document(JsonNode file, String field, int number) {
    CanonicalParts.DataUrl data = CanonicalParts.DataUrl.parse(file.path("file_data").asString(null),
        field + ".file_data");
    if (data == null) {
      throw invalid(field + ".file_data", "bedrock needs the file inline as a base64 data: URL (file ids are "
          + "OpenAI's)");
    }
    String format = DOCUMENT_FORMATS.get(data.mediaType());
    if (format == null) {
      throw invalid(field + ".file_data", "bedrock cannot read documents of type " + data.mediaType());
    }
    ObjectNode block = Json.object();
    ObjectNode document = block.putObject("document");
    document.put("format", format);
    document.put("name", documentName(file.path("filename").asString(""), number));
    document.putObject("source").put("bytes", data.base64());
    return block;
  }

  /** Bedrock allows letters, digits, single spaces, hyphens, parentheses and square brackets in a document name. */
  private static String documentName(String filename, int number) {
    int dot = filename.lastIndexOf('.');
    String base = dot > 0 ? filename.substring(0, dot) : filename;
    String cleaned = base.replaceAll("[^A-Za-z0-9\\-()\\[\\] ]", " ").replaceAll(" +", " ").strip();
    return cleaned.isEmpty() ? "document-" + number : cleaned.length() > 200 ? cleaned.substring(0, 200) : cleaned;
  }

  private static ArrayNode assistantBlocks(JsonNode message, String field, Set<String> historyTools) {
    ArrayNode blocks = Json.array();
    JsonNode thinking = message.get(CanonicalParts.THINKING);
    if (thinking != null && thinking.isArray()) {
      // Claude wants its thinking first in the turn, with the signature it produced.
      for (JsonNode block : thinking) {
        String type = block.path("type").asString("");
        if (type.equals("thinking")) {
          // Thinking without its signature (another provider's reasoning) cannot be replayed to Claude.
          String signature = block.path("signature").asString("");
          if (signature.isEmpty()) {
            continue;
          }
          ObjectNode text = blocks.addObject().putObject("reasoningContent").putObject("reasoningText");
          text.put("text", block.path("thinking").asString(""));
          text.put("signature", signature);
        } else if (type.equals("redacted_thinking")) {
          blocks.addObject().putObject("reasoningContent").put("redactedContent", block.path("data").asString(""));
        }
      }
    }
    String text = CanonicalParts.text(message.get("content"), field + ".content");
    if (!text.isEmpty()) {
      blocks.addObject().put("text", text);
    }
    JsonNode calls = message.get("tool_calls");
    if (calls != null && calls.isArray()) {
      for (int k = 0; k < calls.size(); k++) {
        JsonNode call = calls.get(k);
        String callField = field + ".tool_calls[" + k + "]";
        String id = call.path("id").asString("");
        String name = call.path("function").path("name").asString("");
        if (id.isEmpty() || name.isEmpty()) {
          throw invalid(callField, "needs an id and a function.name");
        }
        historyTools.add(name);
        ObjectNode toolUse = blocks.addObject().putObject("toolUse");
        toolUse.put("toolUseId", id);
        toolUse.put("name", name);
        toolUse.set("input", CanonicalParts.toolArguments(call.path("function").get("arguments"),
            callField + ".function.arguments"));
      }
    }
    return blocks;
  }

  private static ArrayNode toolResult(JsonNode message, String field) {
    String id = message.path("tool_call_id").asString("");
    if (id.isEmpty()) {
      throw invalid(field + ".tool_call_id", "is required");
    }
    ArrayNode content = Json.array();
    JsonNode value = message.get("content");
    if (value != null && value.isArray()) {
      for (int j = 0; j < value.size(); j++) {
        JsonNode part = value.get(j);
        String type = part.path("type").asString("");
        if (type.equals("text")) {
          content.addObject().put("text", part.path("text").asString(""));
        } else if (type.equals("image_url")) {
          content.add(image(part.path("image_url").path("url").asString(null),
              field + ".content[" + j + "].image_url.url"));
        } else {
          throw invalid(field + ".content[" + j + "].type", "a tool result may hold text and images only");
        }
      }
    } else {
      String text = CanonicalParts.text(value, field + ".content");
      if (!text.isEmpty()) {
        content.addObject().put("text", text);
      }
    }
    ArrayNode blocks = Json.array();
    ObjectNode result = blocks.addObject().putObject("toolResult");
    result.put("toolUseId", id);
    result.set("content", content);
    if (message.path(CanonicalParts.TOOL_ERROR).asBoolean(false)) {
      // Only set when the client said so: some Bedrock models refuse the status field altogether.
      result.put("status", "error");
    }
    return blocks;
  }

  private static boolean messagesUseTools(ArrayNode messages) {
    for (JsonNode message : messages) {
      for (JsonNode block : message.path("content")) {
        if (block.has("toolUse") || block.has("toolResult")) {
          return true;
        }
      }
    }
    return false;
  }

  private static ObjectNode inferenceConfig(ObjectNode canonical) {
    ObjectNode inference = Json.object();
    Integer maxTokens = CanonicalParts.maxTokens(canonical);
    if (maxTokens != null) {
      inference.put("maxTokens", maxTokens);
    }
    JsonNode temperature = CanonicalParts.number(canonical, "temperature");
    if (temperature != null) {
      inference.set("temperature", temperature);
    }
    JsonNode topP = CanonicalParts.number(canonical, "top_p");
    if (topP != null) {
      inference.set("topP", topP);
    }
    List<String> stop = CanonicalParts.stopSequences(canonical);
    if (!stop.isEmpty()) {
      ArrayNode sequences = inference.putArray("stopSequences");
      stop.forEach(sequences::add);
    }
    return inference;
  }

  /**
   * Tools, the tool choice and the {@code response_format} emulation. Bedrock refuses a conversation that holds
   * tool calls or results without a tool configuration, so tools seen only in the history get a permissive spec.
   */
  private static ObjectNode toolConfig(ObjectNode canonical, Set<String> historyTools, boolean historyUsesTools) {
    List<ObjectNode> functions = CanonicalParts.functionTools(canonical, "bedrock");
    String choice = CanonicalParts.toolChoice(canonical);
    ObjectNode structured = structuredOutputTool(canonical.get("response_format"));
    ArrayNode tools = Json.array();
    Set<String> declared = new LinkedHashSet<>();
    // tool_choice none: the tools are left out, unless the history holds tool calls, which Bedrock only accepts
    // with the tools declared; then the model could still call one (documented).
    if (!"none".equals(choice) || historyUsesTools) {
      for (ObjectNode function : functions) {
        tools.add(toolSpec(function.path("name").asString(), function.get("description"),
            function.get("parameters")));
        declared.add(function.path("name").asString());
      }
    }
    if (structured != null) {
      tools.add(structured);
      declared.add(STRUCTURED_OUTPUT_TOOL);
    }
    if (historyUsesTools) {
      for (String name : historyTools) {
        if (declared.add(name)) {
          tools.add(toolSpec(name, null, null));
        }
      }
      if (tools.isEmpty()) {
        // Only tool results in the history (their calls were cut off): any declared tool satisfies Bedrock.
        tools.add(toolSpec("spillway_unused_tool", null, null));
      }
    }
    if (tools.isEmpty()) {
      return null;
    }
    ObjectNode config = Json.object();
    config.set("tools", tools);
    if (choice == null || choice.equals("none")) {
      if (structured != null && tools.size() == 1) {
        config.putObject("toolChoice").putObject("tool").put("name", STRUCTURED_OUTPUT_TOOL);
      }
    } else if (choice.equals("auto")) {
      config.putObject("toolChoice").putObject("auto");
    } else if (choice.equals("required")) {
      config.putObject("toolChoice").putObject("any");
    } else {
      String name = choice.substring(3);
      if (!declared.contains(name)) {
        throw invalid("tool_choice", "names function " + CanonicalParts.describe(name)
            + ", which is not in tools");
      }
      config.putObject("toolChoice").putObject("tool").put("name", name);
    }
    return config;
  }

  private static ObjectNode toolSpec(String name, JsonNode description, JsonNode parameters) {
    ObjectNode tool = Json.object();
    ObjectNode spec = tool.putObject("toolSpec");
    spec.put("name", name);
    if (description != null && description.isString() && !description.asString().isEmpty()) {
      spec.put("description", description.asString());
    }
    ObjectNode schema = Json.object();
    if (parameters != null && parameters.isObject() && !parameters.isEmpty()) {
      schema = (ObjectNode) parameters;
    } else {
      schema.put("type", "object");
      schema.putObject("properties");
    }
    spec.putObject("inputSchema").set("json", schema);
    return tool;
  }

  /** {@code json_schema} and {@code json_object} as a tool the model is told to call; null for text. */
  private static ObjectNode structuredOutputTool(JsonNode format) {
    if (format == null || format.isNull()) {
      return null;
    }
    String type = format.path("type").asString("");
    switch (type) {
      case "text" -> {
        return null;
      }
      case "json_object" -> {
        return toolSpec(STRUCTURED_OUTPUT_TOOL, Json.mapper().getNodeFactory().stringNode(
            "Give your complete answer as a JSON object by calling this tool."), null);
      }
      case "json_schema" -> {
        JsonNode schema = format.path("json_schema");
        JsonNode description = schema.get("description");
        String text = "Give your complete answer by calling this tool with arguments that match its schema"
            + (schema.path("name").isString() ? " (" + schema.path("name").asString() + ")" : "") + "."
            + (description != null && description.isString() ? " " + description.asString() : "");
        return toolSpec(STRUCTURED_OUTPUT_TOOL, Json.mapper().getNodeFactory().stringNode(text),
            schema.get("schema"));
      }
      default -> throw invalid("response_format.type", "must be text, json_object or json_schema");
    }
  }
}
