package dev.spillway.dataplane.protocol.gemini;

import static dev.spillway.dataplane.protocol.canonical.CanonicalParts.invalid;

import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.canonical.CanonicalParts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A canonical request (OpenAI chat completions) as a Gemini {@code GenerateContentRequest}, and an OpenAI embeddings
 * request as a {@code batchEmbedContents} body. System and developer messages go to {@code systemInstruction}; user,
 * assistant and tool messages become {@code user} and {@code model} turns, consecutive turns of one role merged;
 * function tools become {@code functionDeclarations} (their schemas rewritten by {@link GeminiSchemas}) with the tool
 * choice as {@code functionCallingConfig}; sampling fields, {@code response_format} and thinking go to
 * {@code generationConfig}. What Gemini cannot take is refused with a 400 naming the field. docs/providers.md lists
 * every field.
 *
 * <p>Gemini identifies function calls by name, not id, and Gemini 3 models sign their function calls
 * ({@code thoughtSignature}) and refuse a replayed call without its signature. So the tool call ids Spillway hands
 * out carry the signature ({@code call_<random>__ts_<signature, base64url>}, minted by
 * {@link GeminiResponseTranslator#toolCall}), and a replayed call is matched to its signature again here; a call that
 * has none (the conversation began elsewhere) gets Google's documented {@code skip_thought_signature_validator} on
 * Gemini 3 and later. A tool result names its function by the earlier call with the same id.
 */
final class GeminiRequestTranslator {
  private static final String SKIP_SIGNATURE = "skip_thought_signature_validator";
  private static final Pattern MODEL_MAJOR = Pattern.compile("^gemini-(\\d+)");
  private static final Map<String, Integer> EFFORT_BUDGETS = Map.of("none", 0, "minimal", 1024, "low", 1024,
      "medium", 8192, "high", 24576);

  private GeminiRequestTranslator() {}

  /** The {@code GenerateContentRequest} for a canonical request to {@code model}. */
  static ObjectNode translate(ObjectNode canonical, String model) {
    boolean signaturesRequired = majorVersion(model) >= 3;
    ObjectNode out = Json.object();
    ArrayNode system = Json.array();
    ArrayNode contents = Json.array();
    Map<String, String> toolNames = new HashMap<>();
    JsonNode messages = canonical.path("messages");
    for (int i = 0; i < messages.size(); i++) {
      JsonNode message = messages.get(i);
      String field = "messages[" + i + "]";
      String role = message.path("role").asString("");
      switch (role) {
        case "system", "developer" -> {
          String text = CanonicalParts.text(message.get("content"), field + ".content");
          if (!text.isEmpty()) {
            system.addObject().put("text", text);
          }
        }
        case "user" -> append(contents, "user", userParts(message.get("content"), field + ".content"));
        case "assistant" -> append(contents, "model", modelParts(message, field, toolNames, signaturesRequired));
        case "tool" -> append(contents, "user", functionResponse(message, field, toolNames));
        default -> throw invalid(field + ".role", "gemini cannot take a " + CanonicalParts.describe(role)
            + " message (expected system, developer, user, assistant or tool)");
      }
    }
    if (!system.isEmpty()) {
      out.putObject("systemInstruction").set("parts", system);
    }
    out.set("contents", contents);
    List<ObjectNode> functions = CanonicalParts.functionTools(canonical, "gemini");
    if (!functions.isEmpty()) {
      ArrayNode declarations = out.putArray("tools").addObject().putArray("functionDeclarations");
      for (int i = 0; i < functions.size(); i++) {
        declarations.add(declaration(functions.get(i), "tools[" + i + "].function"));
      }
      ObjectNode calling = functionCallingConfig(CanonicalParts.toolChoice(canonical), functions);
      if (calling != null) {
        out.putObject("toolConfig").set("functionCallingConfig", calling);
      }
    }
    ObjectNode generation = generationConfig(canonical);
    if (!generation.isEmpty()) {
      out.set("generationConfig", generation);
    }
    return out;
  }

  private static int majorVersion(String model) {
    String name = model.startsWith("models/") ? model.substring(7) : model;
    Matcher matcher = MODEL_MAJOR.matcher(name);
    return matcher.find() ? Integer.parseInt(matcher.group(1)) : 0;
  }

  private static void append(ArrayNode contents, String role, ArrayNode parts) {
    CanonicalParts.appendTurn(contents, role, "parts", parts);
  }

  private static ArrayNode userParts(JsonNode content, String field) {
    ArrayNode parts = Json.array();
    if (content == null || content.isNull() || content.isString()) {
      String text = content == null || content.isNull() ? "" : content.asString();
      if (!text.isEmpty()) {
        parts.addObject().put("text", text);
      }
      return parts;
    }
    if (!content.isArray()) {
      throw invalid(field, "must be a string or an array of content parts");
    }
    for (int j = 0; j < content.size(); j++) {
      JsonNode part = content.get(j);
      String partField = field + "[" + j + "]";
      String type = part.path("type").asString("");
      switch (type) {
        case "text" -> {
          String text = part.path("text").asString("");
          if (!text.isEmpty()) {
            parts.addObject().put("text", text);
          }
        }
        case "image_url" -> parts.add(media(part.path("image_url").path("url").asString(null),
            partField + ".image_url.url", "image/jpeg"));
        case "input_audio" -> {
          JsonNode audio = part.path("input_audio");
          String format = audio.path("format").asString("wav").toLowerCase(Locale.ROOT);
          ObjectNode inline = parts.addObject().putObject("inlineData");
          inline.put("mimeType", format.equals("mp3") ? "audio/mp3" : "audio/" + format);
          inline.put("data", audio.path("data").asString(""));
        }
        case "file" -> {
          String data = part.path("file").path("file_data").asString(null);
          if (data == null) {
            throw invalid(partField + ".file.file_data", "gemini needs the file inline as a base64 data: URL "
                + "(file ids are OpenAI's)");
          }
          parts.add(media(data, partField + ".file.file_data", "application/pdf"));
        }
        default -> throw invalid(partField + ".type", "gemini cannot take a content part of type "
            + CanonicalParts.describe(type) + " (text, image_url, input_audio and file are supported)");
      }
    }
    return parts;
  }

  /** A data: URL as {@code inlineData}; an http(s) URL as {@code fileData} with its type guessed from its name. */
  private static ObjectNode media(String url, String field, String fallbackType) {
    ObjectNode part = Json.object();
    CanonicalParts.DataUrl data = CanonicalParts.DataUrl.parse(url, field);
    if (data != null) {
      ObjectNode inline = part.putObject("inlineData");
      inline.put("mimeType", data.mediaType());
      inline.put("data", data.base64());
      return part;
    }
    if (url == null || !(url.regionMatches(true, 0, "https://", 0, 8) || url.regionMatches(true, 0, "http://", 0, 7)
        || url.regionMatches(true, 0, "gs://", 0, 5))) {
      throw invalid(field, "must be a data: URL or an http(s) URL");
    }
    ObjectNode file = part.putObject("fileData");
    file.put("mimeType", guessType(url, fallbackType));
    file.put("fileUri", url);
    return part;
  }

  private static String guessType(String url, String fallback) {
    String path = url.toLowerCase(Locale.ROOT);
    int query = path.indexOf('?');
    if (query >= 0) {
      path = path.substring(0, query);
    }
    if (path.endsWith(".png")) {
      return "image/png";
    }
    if (path.endsWith(".jpg") || path.endsWith(".jpeg")) {
      return "image/jpeg";
    }
    if (path.endsWith(".webp")) {
      return "image/webp";
    }
    if (path.endsWith(".gif")) {
      return "image/gif";
    }
    if (path.endsWith(".heic")) {
      return "image/heic";
    }
    if (path.endsWith(".pdf")) {
      return "application/pdf";
    }
    return fallback;
  }

  private static ArrayNode modelParts(JsonNode message, String field, Map<String, String> toolNames,
      boolean signaturesRequired) {
    ArrayNode parts = Json.array();
    String text = CanonicalParts.text(message.get("content"), field + ".content");
    if (!text.isEmpty()) {
      parts.addObject().put("text", text);
    }
    JsonNode calls = message.get("tool_calls");
    if (calls != null && calls.isArray()) {
      for (int k = 0; k < calls.size(); k++) {
        JsonNode call = calls.get(k);
        String callField = field + ".tool_calls[" + k + "]";
        String id = call.path("id").asString("");
        String name = call.path("function").path("name").asString("");
        if (name.isEmpty()) {
          throw invalid(callField + ".function.name", "is required");
        }
        toolNames.put(id, name);
        JsonNode args = CanonicalParts.toolArguments(call.path("function").get("arguments"),
            callField + ".function.arguments");
        if (!args.isObject()) {
          throw invalid(callField + ".function.arguments", "gemini takes function arguments as a JSON object");
        }
        ObjectNode part = parts.addObject();
        ObjectNode functionCall = part.putObject("functionCall");
        functionCall.put("name", name);
        functionCall.set("args", args);
        String signature = signatureOf(id);
        if (signature != null) {
          part.put("thoughtSignature", signature);
        } else if (signaturesRequired && k == 0) {
          // Gemini 3 checks the signature of the first call of each step; this one was never signed by Gemini.
          part.put("thoughtSignature", SKIP_SIGNATURE);
        }
      }
    }
    return parts;
  }

  private static ArrayNode functionResponse(JsonNode message, String field, Map<String, String> toolNames) {
    String id = message.path("tool_call_id").asString("");
    String name = toolNames.get(id);
    if (name == null) {
      throw invalid(field + ".tool_call_id", "no earlier assistant tool call has id " + CanonicalParts.describe(id)
          + "; gemini needs the function's name, which Spillway takes from that call");
    }
    String text = CanonicalParts.text(message.get("content"), field + ".content");
    ObjectNode response = null;
    String trimmed = text.strip();
    if (trimmed.startsWith("{")) {
      try {
        JsonNode parsed = Json.mapper().readTree(trimmed);
        if (parsed.isObject()) {
          response = (ObjectNode) parsed;
        }
      } catch (RuntimeException notJson) {
        // a plain string result
      }
    }
    if (response == null) {
      response = Json.object();
      response.put(message.path(CanonicalParts.TOOL_ERROR).asBoolean(false) ? "error" : "result", text);
    }
    ArrayNode parts = Json.array();
    ObjectNode functionResponse = parts.addObject().putObject("functionResponse");
    functionResponse.put("name", name);
    functionResponse.set("response", response);
    return parts;
  }

  private static ObjectNode declaration(ObjectNode function, String field) {
    ObjectNode declaration = Json.object();
    declaration.put("name", function.path("name").asString());
    if (function.path("description").isString() && !function.path("description").asString().isEmpty()) {
      declaration.put("description", function.path("description").asString());
    }
    ObjectNode parameters = GeminiSchemas.convert(function.get("parameters"), field + ".parameters");
    // Gemini refuses an OBJECT without properties: a function without parameters leaves them out.
    if (!parameters.isEmpty() && !("OBJECT".equals(parameters.path("type").asString(""))
        && parameters.path("properties").isEmpty())) {
      declaration.set("parameters", parameters);
    }
    return declaration;
  }

  private static ObjectNode functionCallingConfig(String choice, List<ObjectNode> functions) {
    if (choice == null) {
      return null;
    }
    ObjectNode config = Json.object();
    switch (choice) {
      case "auto" -> config.put("mode", "AUTO");
      case "none" -> config.put("mode", "NONE");
      case "required" -> config.put("mode", "ANY");
      default -> {
        String name = choice.substring(3);
        if (functions.stream().noneMatch(f -> f.path("name").asString().equals(name))) {
          throw invalid("tool_choice", "names function " + CanonicalParts.describe(name) + ", which is not in tools");
        }
        config.put("mode", "ANY");
        config.putArray("allowedFunctionNames").add(name);
      }
    }
    return config;
  }

  private static ObjectNode generationConfig(ObjectNode canonical) {
    ObjectNode config = Json.object();
    copyNumber(canonical, "temperature", config, "temperature");
    copyNumber(canonical, "top_p", config, "topP");
    Integer maxTokens = CanonicalParts.maxTokens(canonical);
    if (maxTokens != null) {
      config.put("maxOutputTokens", maxTokens);
    }
    List<String> stop = CanonicalParts.stopSequences(canonical);
    if (!stop.isEmpty()) {
      ArrayNode sequences = config.putArray("stopSequences");
      stop.forEach(sequences::add);
    }
    int n = CanonicalParts.choiceCount(canonical);
    if (n > 1) {
      config.put("candidateCount", n);
    }
    JsonNode seed = canonical.get("seed");
    if (seed != null && !seed.isNull()) {
      // OpenAI takes 64-bit seeds, Gemini 32-bit ones.
      if (!seed.isIntegralNumber() || !seed.canConvertToInt()) {
        throw invalid("seed", "must be an integer from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE
            + " for Gemini");
      }
      config.put("seed", seed.asInt());
    }
    JsonNode topK = canonical.get(CanonicalParts.TOP_K);
    if (topK != null && topK.isNumber()) {
      config.set("topK", topK);
    }
    copyNumber(canonical, "presence_penalty", config, "presencePenalty");
    copyNumber(canonical, "frequency_penalty", config, "frequencyPenalty");
    JsonNode format = canonical.get("response_format");
    if (format != null && !format.isNull()) {
      String type = format.path("type").asString("");
      switch (type) {
        case "text" -> { }
        case "json_object" -> config.put("responseMimeType", "application/json");
        case "json_schema" -> {
          config.put("responseMimeType", "application/json");
          JsonNode schema = format.path("json_schema").get("schema");
          if (schema != null && schema.isObject()) {
            config.set("responseSchema", GeminiSchemas.convert(schema, "response_format.json_schema.schema"));
          }
        }
        default -> throw invalid("response_format.type", "must be text, json_object or json_schema");
      }
    }
    ObjectNode thinking = thinkingConfig(canonical);
    if (thinking != null) {
      config.set("thinkingConfig", thinking);
    }
    return config;
  }

  private static ObjectNode thinkingConfig(ObjectNode canonical) {
    JsonNode thinking = canonical.get(CanonicalParts.THINKING);
    if (thinking != null && thinking.isObject()) {
      ObjectNode config = Json.object();
      if ("disabled".equals(thinking.path("type").asString(""))) {
        config.put("thinkingBudget", 0);
      } else {
        if (thinking.path("budget_tokens").isIntegralNumber()) {
          config.put("thinkingBudget", thinking.path("budget_tokens").asInt());
        }
        config.put("includeThoughts", true);
      }
      return config;
    }
    JsonNode effort = canonical.get("reasoning_effort");
    if (effort == null || effort.isNull()) {
      return null;
    }
    Integer budget = EFFORT_BUDGETS.get(effort.asString(""));
    if (budget == null) {
      throw invalid("reasoning_effort", "must be none, minimal, low, medium or high");
    }
    ObjectNode config = Json.object();
    config.put("thinkingBudget", budget);
    return config;
  }

  private static void copyNumber(ObjectNode canonical, String from, ObjectNode to, String name) {
    JsonNode value = CanonicalParts.number(canonical, from);
    if (value != null) {
      to.set(name, value);
    }
  }

  /** The thought signature a tool call id carries ({@link GeminiResponseTranslator#toolCall}), or null. */
  static String signatureOf(String toolCallId) {
    int mark = toolCallId.indexOf(GeminiResponseTranslator.SIGNATURE_MARK);
    if (mark < 0) {
      return null;
    }
    String encoded = toolCallId.substring(mark + GeminiResponseTranslator.SIGNATURE_MARK.length());
    if (encoded.isEmpty()) {
      return null;
    }
    StringBuilder standard = new StringBuilder(encoded.length() + 3);
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      standard.append(c == '-' ? '+' : c == '_' ? '/' : c);
    }
    while (standard.length() % 4 != 0) {
      standard.append('=');
    }
    return standard.toString();
  }

  // ---------------------------------------------------------------- embeddings

  /**
   * The {@code batchEmbedContents} body for these texts: each one request to {@code modelName}
   * ({@code models/<model>}), truncated to {@code dimensions} ({@code outputDimensionality}) when that is not null.
   */
  static ObjectNode embeddings(String modelName, List<String> inputs, Integer dimensions) {
    ObjectNode body = Json.object();
    ArrayNode requests = body.putArray("requests");
    for (String input : inputs) {
      ObjectNode one = requests.addObject();
      one.put("model", modelName);
      one.putObject("content").putArray("parts").addObject().put("text", input);
      if (dimensions != null) {
        one.put("outputDimensionality", dimensions);
      }
    }
    return body;
  }

  /** An OpenAI embeddings request's {@code input}: a string or a non-empty array of strings, text only. */
  static List<String> embeddingInputs(JsonNode input) {
    List<String> inputs = new ArrayList<>();
    if (input != null && input.isString()) {
      inputs.add(input.asString());
    } else if (input != null && input.isArray() && !input.isEmpty()) {
      for (JsonNode item : input) {
        if (!item.isString()) {
          throw invalid("input", "gemini embeds text only: send a string or an array of strings");
        }
        inputs.add(item.asString());
      }
    } else {
      throw invalid("input", "must be a string or a non-empty array of strings");
    }
    return inputs;
  }

  /** An OpenAI embeddings request's optional {@code dimensions}: null, or a positive integer. */
  static Integer embeddingDimensions(JsonNode dimensions) {
    if (dimensions == null || dimensions.isNull()) {
      return null;
    }
    if (!dimensions.isIntegralNumber() || dimensions.asInt() < 1) {
      throw invalid("dimensions", "must be a positive integer");
    }
    return dimensions.asInt();
  }
}
