package dev.spillway.dataplane.protocol.openai;

import static dev.spillway.dataplane.protocol.Requests.MAX_INT;
import static dev.spillway.dataplane.protocol.Requests.got;
import static dev.spillway.dataplane.protocol.Requests.invalid;
import static dev.spillway.dataplane.protocol.Requests.quote;

import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.protocol.Requests;
import dev.spillway.dataplane.protocol.Requests.PathStyle;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The checks of OpenAI's chat completions request (and the sampling fields legacy completions shares with it), as
 * OpenAI documents them, run before any provider is called: a request OpenAI would refuse is refused here with a
 * 400 naming the field ({@code param}) the way OpenAI does ({@code messages[0].content}), whether the target would
 * get it unchanged or translated. What OpenAI accepts passes, unknown fields included, so the native path stays
 * unchanged. One walk over the parsed body; nothing is copied.
 */
final class OpenAiRequestChecks {
  private static final PathStyle STYLE = PathStyle.OPENAI;

  // Allowed values as constants: varargs would allocate an array per check.
  private static final String[] TOOL_TYPES = {"function", "custom"};
  private static final String[] TOOL_CHOICE_TYPES = {"function", "allowed_tools", "custom"};
  private static final String[] RESPONSE_FORMATS = {"text", "json_object", "json_schema"};

  private OpenAiRequestChecks() {}

  /** {@code POST /v1/chat/completions}, but for {@code model}, which the format reads itself. */
  static void chat(ObjectNode body) {
    messages(body.get("messages"));
    sampling(body, 1);
    Requests.optionalInteger(body, "max_completion_tokens", 1, MAX_INT);
    Requests.optionalBoolean(body, "logprobs");
    Requests.optionalInteger(body, "top_logprobs", 0, 20);
    Requests.optionalBoolean(body, "parallel_tool_calls");
    tools(body.get("tools"));
    toolChoice(body.get("tool_choice"));
    responseFormat(body.get("response_format"));
  }

  /**
   * The fields chat and legacy completions share: {@code max_tokens} (at least {@code minMaxTokens}: completions
   * takes 0 to score a prompt with {@code echo}), {@code n}, {@code temperature}, {@code top_p}, penalties,
   * {@code seed}, {@code stream}, {@code stream_options}, {@code stop}, {@code user}, {@code logit_bias}.
   */
  static void sampling(ObjectNode body, long minMaxTokens) {
    Requests.optionalInteger(body, "max_tokens", minMaxTokens, MAX_INT);
    Requests.optionalInteger(body, "n", 1, 128);
    Requests.optionalNumber(body, "temperature", 0, 2);
    Requests.optionalNumber(body, "top_p", 0, 1);
    Requests.optionalNumber(body, "presence_penalty", -2, 2);
    Requests.optionalNumber(body, "frequency_penalty", -2, 2);
    Requests.optionalInteger(body, "seed", Long.MIN_VALUE, Long.MAX_VALUE);
    Requests.optionalBoolean(body, "stream");
    JsonNode streamOptions = Requests.optionalObject(body, "stream_options");
    if (streamOptions != null) {
      Requests.optionalBoolean(streamOptions, "include_usage", "stream_options.include_usage");
    }
    Requests.optionalStrings(body, "stop", "stop", 4, true, STYLE);
    Requests.optionalString(body, "user");
    JsonNode logitBias = Requests.optionalObject(body, "logit_bias");
    if (logitBias != null) {
      for (Map.Entry<String, JsonNode> bias : logitBias.properties()) {
        JsonNode value = bias.getValue();
        if (!value.isNumber() || value.asDouble() < -100 || value.asDouble() > 100) {
          throw invalid("logit_bias", "values must be numbers from -100 to 100 (got " + Requests.kind(value)
              + " for token " + quote(bias.getKey()) + ")");
        }
      }
    }
  }

  private static void messages(JsonNode messages) {
    if (messages == null || messages.isNull()) {
      throw invalid("messages", "is required");
    }
    if (!messages.isArray() || messages.isEmpty()) {
      throw invalid("messages", "must be a non-empty array" + (messages.isArray() ? "" : got(messages)));
    }
    for (int i = 0; i < messages.size(); i++) {
      JsonNode message = messages.get(i);
      if (!message.isObject()) {
        throw invalid(STYLE.index("messages", i), "must be an object with a role" + got(message));
      }
      try {
        message(message);
      } catch (GatewayException e) {
        throw Requests.within("messages", i, STYLE, e);
      }
    }
  }

  /** One message; paths relative to it. */
  private static void message(JsonNode message) {
    JsonNode roleNode = message.get("role");
    if (roleNode == null || roleNode.isNull()) {
      throw invalid("role", "is required");
    }
    String role = roleNode.isString() ? roleNode.asString() : "";
    JsonNode content = message.get("content");
    boolean contentAbsent = content == null || content.isNull();
    switch (role) {
      case "system", "developer", "user" -> {
        if (contentAbsent) {
          throw invalid("content", "is required for a " + role + " message");
        }
      }
      case "assistant" -> {
        boolean calls = toolCalls(message.get("tool_calls"));
        JsonNode functionCall = Requests.optionalObject(message, "function_call", "function_call");
        if (functionCall != null) {
          Requests.requireString(functionCall, "name", "function_call.name");
          Requests.requireString(functionCall, "arguments", "function_call.arguments");
        }
        Requests.optionalString(message, "refusal", "refusal");
        // OpenAI: content is "required unless tool_calls or function_call is specified"; an answer that was
        // only audio or only a refusal comes back without content too.
        if (contentAbsent && !calls && functionCall == null && !message.hasNonNull("audio")
            && !message.hasNonNull("refusal")) {
          throw invalid("content", "is required for an assistant message without tool_calls");
        }
      }
      case "tool" -> {
        if (contentAbsent) {
          throw invalid("content", "is required for a tool message");
        }
        Requests.requireString(message, "tool_call_id", "tool_call_id");
      }
      case "function" -> {
        Requests.requireString(message, "name", "name");
        if (!contentAbsent && !content.isString()) {
          throw invalid("content", "must be a string or null for a function message" + got(content));
        }
        return;
      }
      default -> throw invalid("role", "must be one of system, developer, user, assistant, tool, function (got "
          + (roleNode.isString() ? quote(role) : Requests.kind(roleNode)) + ")");
    }
    Requests.optionalString(message, "name", "name");
    if (contentAbsent || content.isString()) {
      return;
    }
    if (!content.isArray()) {
      throw invalid("content", "must be a string or an array of content parts" + got(content));
    }
    for (int j = 0; j < content.size(); j++) {
      JsonNode part = content.get(j);
      if (!part.isObject()) {
        throw invalid(STYLE.index("content", j), "must be a content part object with a type" + got(part));
      }
      try {
        part(part);
      } catch (GatewayException e) {
        throw Requests.within("content", j, STYLE, e);
      }
    }
  }

  /**
   * One content part; paths relative to it. The parts OpenAI defines must be complete; other types pass (servers
   * that speak OpenAI's API take more, e.g. vLLM's {@code video_url}, and OpenAI itself adds types), as does a part
   * in a role OpenAI would refuse it in: the provider judges those, and a translation that cannot express a part
   * refuses it with a 400 of its own.
   */
  private static void part(JsonNode part) {
    String type = Requests.requireString(part, "type", "type");
    switch (type) {
      case "text" -> Requests.requireString(part, "text", "text");
      case "refusal" -> Requests.requireString(part, "refusal", "refusal");
      case "image_url" -> {
        JsonNode image = Requests.requireObject(part, "image_url", "image_url");
        Requests.requireString(image, "url", "image_url.url");
        Requests.optionalString(image, "detail", "image_url.detail");
      }
      case "input_audio" -> {
        JsonNode audio = Requests.requireObject(part, "input_audio", "input_audio");
        Requests.requireString(audio, "data", "input_audio.data");
        Requests.requireString(audio, "format", "input_audio.format");
      }
      case "file" -> {
        JsonNode file = Requests.requireObject(part, "file", "file");
        Requests.optionalString(file, "file_data", "file.file_data");
        Requests.optionalString(file, "file_id", "file.file_id");
        Requests.optionalString(file, "filename", "file.filename");
      }
      default -> {
        // passed on as sent
      }
    }
  }

  /** An assistant message's {@code tool_calls}, paths relative to the message; true when there are any. */
  private static boolean toolCalls(JsonNode calls) {
    if (calls == null || calls.isNull()) {
      return false;
    }
    if (!calls.isArray()) {
      throw invalid("tool_calls", "must be an array of tool calls" + got(calls));
    }
    for (int k = 0; k < calls.size(); k++) {
      JsonNode call = calls.get(k);
      if (!call.isObject()) {
        throw invalid(STYLE.index("tool_calls", k), "must be a tool call object" + got(call));
      }
      try {
        toolCall(call);
      } catch (GatewayException e) {
        throw Requests.within("tool_calls", k, STYLE, e);
      }
    }
    return !calls.isEmpty();
  }

  private static void toolCall(JsonNode call) {
    Requests.requireString(call, "id", "id");
    if ("custom".equals(Requests.optionalEnum(call, "type", "type", TOOL_TYPES))) {
      JsonNode custom = Requests.requireObject(call, "custom", "custom");
      Requests.requireString(custom, "name", "custom.name");
      Requests.requireString(custom, "input", "custom.input");
    } else {
      JsonNode function = Requests.requireObject(call, "function", "function");
      Requests.requireString(function, "name", "function.name");
      Requests.requireString(function, "arguments", "function.arguments");
    }
  }

  private static void tools(JsonNode tools) {
    if (tools == null || tools.isNull()) {
      return;
    }
    if (!tools.isArray()) {
      throw invalid("tools", "must be an array of tools" + got(tools));
    }
    for (int i = 0; i < tools.size(); i++) {
      JsonNode tool = tools.get(i);
      if (!tool.isObject()) {
        throw invalid(STYLE.index("tools", i), "must be a tool object" + got(tool));
      }
      try {
        tool(tool);
      } catch (GatewayException e) {
        throw Requests.within("tools", i, STYLE, e);
      }
    }
  }

  /** One tool, {@code {"type":"function","function":{name, description?, parameters?, strict?}}} or custom. */
  private static void tool(JsonNode tool) {
    if (!tool.hasNonNull("type")) {
      throw invalid("type", "is required");
    }
    String type = Requests.optionalEnum(tool, "type", "type", TOOL_TYPES);
    boolean function = "function".equals(type);
    JsonNode definition = Requests.requireObject(tool, type, type);
    String namePath = function ? "function.name" : "custom.name";
    String name = Requests.requireString(definition, "name", namePath);
    if (!Requests.isToolName(name)) {
      throw invalid(namePath, "must be 1 to 64 letters, digits, underscores or dashes "
          + "(^[a-zA-Z0-9_-]{1,64}$; got " + quote(name) + ")");
    }
    Requests.optionalString(definition, "description", function ? "function.description" : "custom.description");
    if (function) {
      Requests.optionalObject(definition, "parameters", "function.parameters");
      Requests.optionalBoolean(definition, "strict", "function.strict");
    }
  }

  private static void toolChoice(JsonNode choice) {
    if (choice == null || choice.isNull()) {
      return;
    }
    if (choice.isString()) {
      String value = choice.asString();
      if (!value.equals("none") && !value.equals("auto") && !value.equals("required")) {
        throw invalid("tool_choice", "must be none, auto, required or an object (got " + quote(value) + ")");
      }
      return;
    }
    if (!choice.isObject()) {
      throw invalid("tool_choice", "must be none, auto, required or an object" + got(choice));
    }
    if (!choice.hasNonNull("type")) {
      throw invalid("tool_choice.type", "is required");
    }
    switch (Requests.optionalEnum(choice, "type", "tool_choice.type", TOOL_CHOICE_TYPES)) {
      case "function" -> Requests.requireString(Requests.requireObject(choice, "function", "tool_choice.function"),
          "name", "tool_choice.function.name");
      case "custom" -> Requests.requireString(Requests.requireObject(choice, "custom", "tool_choice.custom"),
          "name", "tool_choice.custom.name");
      default -> Requests.requireObject(choice, "allowed_tools", "tool_choice.allowed_tools");
    }
  }

  private static void responseFormat(JsonNode format) {
    if (format == null || format.isNull()) {
      return;
    }
    if (!format.isObject()) {
      throw invalid("response_format", "must be an object with a type" + got(format));
    }
    if (!format.hasNonNull("type")) {
      throw invalid("response_format.type", "is required");
    }
    String type = Requests.optionalEnum(format, "type", "response_format.type", RESPONSE_FORMATS);
    if ("json_schema".equals(type)) {
      JsonNode schema = Requests.requireObject(format, "json_schema", "response_format.json_schema");
      Requests.requireString(schema, "name", "response_format.json_schema.name");
      Requests.optionalObject(schema, "schema", "response_format.json_schema.schema");
      Requests.optionalBoolean(schema, "strict", "response_format.json_schema.strict");
    }
  }


}
