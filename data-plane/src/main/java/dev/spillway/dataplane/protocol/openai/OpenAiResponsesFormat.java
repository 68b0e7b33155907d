package dev.spillway.dataplane.protocol.openai;

import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.ClientFormat;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.protocol.Requests;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.ClientStreamEncoder;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /v1/responses}, OpenAI's Responses API. A provider that speaks it natively ({@code openai}) gets the
 * client's body unchanged but for {@code model}; everything else goes through the canonical chat form:
 *
 * <ul>
 *   <li>{@code instructions} → a leading system message; {@code input} (a string, or items: messages with
 *       {@code input_text}/{@code input_image}/{@code output_text} parts, {@code function_call},
 *       {@code function_call_output}) → chat messages, consecutive function calls merged into one assistant turn;
 *   <li>function tools → chat function tools; {@code tool_choice}; {@code max_output_tokens} →
 *       {@code max_completion_tokens}; {@code temperature}, {@code top_p}, {@code parallel_tool_calls},
 *       {@code user}; {@code text.format} → {@code response_format}; {@code reasoning.effort} →
 *       {@code reasoning_effort}.
 * </ul>
 *
 * <p>What only OpenAI's own Responses API can do (stored state: {@code previous_response_id},
 * {@code conversation}; built-in tools such as {@code web_search}; file inputs; background mode; prompt templates)
 * is marked {@link ChatCall#NATIVE_ONLY}, so a target that would need translation answers a 400 that says why.
 * Bookkeeping fields with no chat equivalent ({@code store}, {@code metadata}, {@code include}, {@code truncation},
 * {@code service_tier}, …) are dropped on translation: Spillway is stateless and stores nothing.
 */
public final class OpenAiResponsesFormat implements ClientFormat {
  private static final Set<String> ROLES = Set.of("user", "assistant", "system", "developer");
  private static final String[] TRUNCATIONS = {"auto", "disabled"};

  @Override
  public InboundApi api() {
    return InboundApi.OPENAI_RESPONSES;
  }

  @Override
  public ChatCall parse(ObjectNode body) {
    String model = Requests.requireModel(body);
    boolean stream = Requests.optionalBoolean(body, "stream");
    Translation t = new Translation();
    ObjectNode canonical = t.canonical;
    canonical.put("model", model);
    ArrayNode messages = canonical.putArray("messages");

    JsonNode instructions = body.get("instructions");
    if (instructions != null && !instructions.isNull()) {
      if (!instructions.isString()) {
        throw invalid("instructions: must be a string", "instructions");
      }
      messages.addObject().put("role", "system").put("content", instructions.asString());
    }
    JsonNode input = body.get("input");
    if (input == null || input.isNull()) {
      if (!body.hasNonNull("previous_response_id") && !body.hasNonNull("conversation")
          && !body.hasNonNull("prompt")) {
        throw invalid("input: is required", "input");
      }
    } else if (input.isString()) {
      messages.addObject().put("role", "user").put("content", input.asString());
    } else if (input.isArray()) {
      for (int i = 0; i < input.size(); i++) {
        t.item(input.get(i), "input[" + i + "]", messages);
      }
    } else {
      throw invalid("input: must be a string or an array of input items", "input");
    }

    if (body.hasNonNull("previous_response_id")) {
      t.nativeOnly("previous_response_id: Spillway is stateless and can continue a stored response only when the "
          + "target speaks the Responses API natively (provider type openai); send the whole conversation in "
          + "input instead");
    }
    if (body.hasNonNull("conversation")) {
      t.nativeOnly("conversation: stored conversations exist only on OpenAI's Responses API (provider type openai)");
    }
    if (body.path("background").asBoolean(false)) {
      t.nativeOnly("background: background responses exist only on OpenAI's Responses API (provider type openai)");
    }
    if (body.hasNonNull("prompt")) {
      t.nativeOnly("prompt: stored prompt templates exist only on OpenAI's Responses API (provider type openai)");
    }
    if (messages.isEmpty() && t.nativeOnly == null) {
      throw invalid("input: must contain at least one message", "input");
    }

    tools(body, canonical, t);
    toolChoice(body, canonical, t);
    JsonNode maxOutput = Requests.optionalInteger(body, "max_output_tokens", 1, Requests.MAX_INT);
    if (maxOutput != null) {
      canonical.set("max_completion_tokens", maxOutput);
    }
    copy(Requests.optionalNumber(body, "temperature", 0, 2), canonical, "temperature");
    copy(Requests.optionalNumber(body, "top_p", 0, 1), canonical, "top_p");
    if (body.hasNonNull("parallel_tool_calls")) {
      canonical.put("parallel_tool_calls", Requests.optionalBoolean(body, "parallel_tool_calls"));
    }
    if (Requests.optionalString(body, "user") != null) {
      canonical.set("user", body.get("user"));
    }
    textFormat(body, canonical);
    JsonNode reasoning = Requests.optionalObject(body, "reasoning");
    if (reasoning != null && Requests.optionalString(reasoning, "effort", "reasoning.effort") != null) {
      canonical.set("reasoning_effort", reasoning.get("effort"));
    }
    checkBookkeeping(body);
    if (stream) {
      canonical.put("stream", true);
    }
    if (t.nativeOnly != null) {
      canonical.put(ChatCall.NATIVE_ONLY, t.nativeOnly);
    }
    // Responses streams always end with the full response, usage included.
    return new ChatCall(api(), body, canonical, stream, true, model);
  }

  @Override
  public ObjectNode encodeResponse(ObjectNode completion, ChatCall call) {
    String suffix = newSuffix();
    ObjectNode response = skeleton("resp_" + suffix, completion.path("created").asLong(nowSeconds()),
        completion.path("model").asString(call.requestedModel()), call.original());
    JsonNode choice = completion.path("choices").path(0);
    JsonNode message = choice.path("message");
    ArrayNode output = response.putArray("output");
    String text = contentText(message.get("content"));
    JsonNode refusal = message.get("refusal");
    if (!text.isEmpty() || (refusal != null && refusal.isString())) {
      ObjectNode item = messageItem("msg_" + suffix, "completed");
      ArrayNode content = item.putArray("content");
      if (!text.isEmpty()) {
        content.add(outputText(text));
      }
      if (refusal != null && refusal.isString()) {
        content.addObject().put("type", "refusal").put("refusal", refusal.asString());
      }
      output.add(item);
    }
    JsonNode toolCalls = message.path("tool_calls");
    for (int i = 0; i < toolCalls.size(); i++) {
      JsonNode call1 = toolCalls.get(i);
      output.add(functionCallItem("fc_" + suffix + "_" + i, call1.path("id").asString(""),
          call1.path("function").path("name").asString(""),
          call1.path("function").path("arguments").asString(""), "completed"));
    }
    finish(response, choice.path("finish_reason").asString("stop"), completion.get("usage"));
    return response;
  }

  @Override
  public ClientStreamEncoder newStreamEncoder(ChatCall call) {
    return new OpenAiResponsesStreamEncoder(call);
  }

  // --- the Response object, shared with the stream encoder ---

  static String newSuffix() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return Long.toHexString(random.nextLong() | Long.MIN_VALUE) + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
  }

  static long nowSeconds() {
    return System.currentTimeMillis() / 1000;
  }

  /** A response in progress: every field the SDKs require, the request's settings echoed as OpenAI does. */
  static ObjectNode skeleton(String id, long createdAt, String model, ObjectNode request) {
    ObjectNode r = Json.object();
    r.put("id", id);
    r.put("object", "response");
    r.put("created_at", createdAt);
    r.put("status", "in_progress");
    r.put("background", false);
    r.putNull("error");
    r.putNull("incomplete_details");
    echo(request, r, "instructions");
    echo(request, r, "max_output_tokens");
    r.put("model", model);
    r.putArray("output");
    r.put("parallel_tool_calls", request.path("parallel_tool_calls").asBoolean(true));
    r.putNull("previous_response_id");
    ObjectNode reasoning = r.putObject("reasoning");
    JsonNode effort = request.path("reasoning").path("effort");
    if (effort.isString()) {
      reasoning.set("effort", effort);
    } else {
      reasoning.putNull("effort");
    }
    reasoning.putNull("summary");
    r.put("store", false);
    r.put("temperature", request.path("temperature").isNumber() ? request.get("temperature").asDouble() : 1.0);
    if (request.path("text").isObject()) {
      r.set("text", request.get("text"));
    } else {
      r.putObject("text").putObject("format").put("type", "text");
    }
    r.set("tool_choice", request.hasNonNull("tool_choice") ? request.get("tool_choice")
        : Json.mapper().getNodeFactory().stringNode("auto"));
    r.set("tools", request.path("tools").isArray() ? request.get("tools") : Json.array());
    r.put("top_p", request.path("top_p").isNumber() ? request.get("top_p").asDouble() : 1.0);
    r.put("truncation", "disabled");
    r.putNull("usage");
    echo(request, r, "user");
    r.set("metadata", request.path("metadata").isObject() ? request.get("metadata") : Json.object());
    return r;
  }

  private static void echo(ObjectNode request, ObjectNode response, String field) {
    JsonNode value = request.get(field);
    if (value == null || value.isNull()) {
      response.putNull(field);
    } else {
      response.set(field, value);
    }
  }

  /** Sets status, incomplete details and usage from the canonical finish reason and usage. */
  static void finish(ObjectNode response, String finishReason, JsonNode usage) {
    if ("length".equals(finishReason) || "content_filter".equals(finishReason)) {
      response.put("status", "incomplete");
      response.putObject("incomplete_details").put("reason",
          "length".equals(finishReason) ? "max_output_tokens" : "content_filter");
    } else {
      response.put("status", "completed");
    }
    if (usage != null && usage.isObject()) {
      response.set("usage", responsesUsage(usage));
    }
  }

  /** Chat usage ({@code prompt_tokens}, …) in the Responses API's names. */
  static ObjectNode responsesUsage(JsonNode usage) {
    long input = usage.path("prompt_tokens").asLong(0);
    long output = usage.path("completion_tokens").asLong(0);
    ObjectNode u = Json.object();
    u.put("input_tokens", input);
    u.putObject("input_tokens_details").put("cached_tokens",
        usage.path("prompt_tokens_details").path("cached_tokens").asLong(0));
    u.put("output_tokens", output);
    u.putObject("output_tokens_details").put("reasoning_tokens",
        usage.path("completion_tokens_details").path("reasoning_tokens").asLong(0));
    u.put("total_tokens", usage.path("total_tokens").asLong(input + output));
    return u;
  }

  static ObjectNode messageItem(String id, String status) {
    ObjectNode item = Json.object();
    item.put("id", id);
    item.put("type", "message");
    item.put("status", status);
    item.put("role", "assistant");
    item.putArray("content");
    return item;
  }

  static ObjectNode outputText(String text) {
    ObjectNode part = Json.object();
    part.put("type", "output_text");
    part.put("text", text);
    part.putArray("annotations");
    part.putArray("logprobs");
    return part;
  }

  static ObjectNode functionCallItem(String id, String callId, String name, String arguments, String status) {
    ObjectNode item = Json.object();
    item.put("id", id);
    item.put("type", "function_call");
    item.put("status", status);
    item.put("arguments", arguments);
    item.put("call_id", callId);
    item.put("name", name);
    return item;
  }

  /** Chat content as one string: a string as is, an array of text parts joined. */
  private static String contentText(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isString()) {
      return content.asString();
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode part : content) {
      text.append(part.path("text").asString(""));
    }
    return text.toString();
  }

  // --- request translation ---

  /** The canonical request being built and the first reason it can only go native. */
  private static final class Translation {
    final ObjectNode canonical = Json.object();
    String nativeOnly;

    void nativeOnly(String reason) {
      if (nativeOnly == null) {
        nativeOnly = reason;
      }
    }

    void item(JsonNode item, String where, ArrayNode messages) {
      if (!item.isObject()) {
        throw invalid(where + ": must be an object", where);
      }
      String type = item.path("type").asString(item.has("role") ? "message" : "");
      switch (type) {
        case "message" -> message(item, where, messages);
        case "function_call" -> functionCall(item, where, messages);
        case "function_call_output" -> functionCallOutput(item, where, messages);
        // Reasoning items are the provider's own (often encrypted) thoughts; another model cannot use them.
        case "reasoning" -> { }
        case "" -> throw invalid(where + ": needs a type or a role", where);
        default -> nativeOnly(where + ": input items of type " + type + " exist only on OpenAI's Responses API "
            + "(provider type openai)");
      }
    }

    private void message(JsonNode item, String where, ArrayNode messages) {
      String role = item.path("role").asString("");
      if (!ROLES.contains(role)) {
        throw invalid(where + ".role: must be one of user, assistant, system, developer", where + ".role");
      }
      JsonNode content = item.get("content");
      ObjectNode message = Json.object();
      message.put("role", "developer".equals(role) ? "system" : role);
      if (content != null && content.isString()) {
        message.put("content", content.asString());
      } else if (content != null && content.isArray()) {
        if ("user".equals(role)) {
          message.set("content", userParts(content, where + ".content"));
        } else {
          message.put("content", textOf(content, where + ".content"));
        }
      } else {
        throw invalid(where + ".content: must be a string or an array of content parts", where + ".content");
      }
      messages.add(message);
    }

    /** User content: text and images, in chat's part shapes. */
    private ArrayNode userParts(JsonNode parts, String where) {
      ArrayNode out = Json.array();
      for (int i = 0; i < parts.size(); i++) {
        JsonNode part = parts.get(i);
        String at = where + "[" + i + "]";
        String type = part.path("type").asString("");
        switch (type) {
          case "input_text", "output_text", "text" -> out.addObject().put("type", "text")
              .put("text", requireString(part, "text", at));
          case "input_image" -> {
            JsonNode url = part.get("image_url");
            if (url == null || !url.isString()) {
              if (part.hasNonNull("file_id")) {
                nativeOnly(at + ": images by file_id exist only on OpenAI (provider type openai); send image_url");
                continue;
              }
              throw invalid(at + ".image_url: must be a URL or a data URL", at + ".image_url");
            }
            ObjectNode image = out.addObject().put("type", "image_url").putObject("image_url");
            image.put("url", url.asString());
            if (part.path("detail").isString()) {
              image.set("detail", part.get("detail"));
            }
          }
          case "input_file" -> nativeOnly(at + ": file inputs reach only OpenAI's Responses API (provider type "
              + "openai)");
          default -> nativeOnly(at + ": content parts of type " + type + " reach only OpenAI's Responses API "
              + "(provider type openai)");
        }
      }
      return out;
    }

    /** Assistant and system content: the text of its parts (a refusal counts as text). */
    private String textOf(JsonNode parts, String where) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < parts.size(); i++) {
        JsonNode part = parts.get(i);
        String type = part.path("type").asString("");
        switch (type) {
          case "input_text", "output_text", "text" -> text.append(requireString(part, "text", where + "[" + i + "]"));
          case "refusal" -> text.append(part.path("refusal").asString(""));
          default -> throw invalid(where + "[" + i + "]: a " + type + " part is only allowed in user messages",
              where + "[" + i + "]");
        }
      }
      return text.toString();
    }

    private void functionCall(JsonNode item, String where, ArrayNode messages) {
      String callId = requireString(item, "call_id", where);
      String name = requireString(item, "name", where);
      String arguments = requireString(item, "arguments", where);
      ObjectNode assistant;
      JsonNode last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
      if (last != null && "assistant".equals(last.path("role").asString("")) && last.path("tool_calls").isArray()) {
        assistant = (ObjectNode) last;
      } else if (last != null && "assistant".equals(last.path("role").asString(""))) {
        // The assistant's text of the same turn, then its calls: chat keeps both in one message.
        assistant = (ObjectNode) last;
        assistant.putArray("tool_calls");
      } else {
        assistant = messages.addObject();
        assistant.put("role", "assistant");
        assistant.putNull("content");
        assistant.putArray("tool_calls");
      }
      ObjectNode call = ((ArrayNode) assistant.get("tool_calls")).addObject();
      call.put("id", callId);
      call.put("type", "function");
      call.putObject("function").put("name", name).put("arguments", arguments);
    }

    private void functionCallOutput(JsonNode item, String where, ArrayNode messages) {
      String callId = requireString(item, "call_id", where);
      JsonNode output = item.get("output");
      String text;
      if (output != null && output.isString()) {
        text = output.asString();
      } else if (output != null && output.isArray()) {
        text = textOf(output, where + ".output");
      } else {
        throw invalid(where + ".output: must be a string", where + ".output");
      }
      messages.addObject().put("role", "tool").put("tool_call_id", callId).put("content", text);
    }
  }

  private static void tools(ObjectNode body, ObjectNode canonical, Translation t) {
    JsonNode tools = body.get("tools");
    if (tools == null || tools.isNull()) {
      return;
    }
    if (!tools.isArray()) {
      throw invalid("tools: must be an array", "tools");
    }
    ArrayNode out = Json.array();
    for (int i = 0; i < tools.size(); i++) {
      JsonNode tool = tools.get(i);
      if (!tool.isObject()) {
        throw invalid("tools[" + i + "]: must be a tool object" + Requests.got(tool), "tools[" + i + "]");
      }
      String type = tool.path("type").asString("");
      if (!"function".equals(type)) {
        if (type.isEmpty()) {
          throw invalid("tools[" + i + "].type: is required", "tools[" + i + "].type");
        }
        t.nativeOnly("tools[" + i + "]: the built-in tool " + type + " runs only on OpenAI's Responses API "
            + "(provider type openai); other providers accept function tools only");
        continue;
      }
      ObjectNode function = Json.object();
      try {
        function.put("name", functionTool(tool));
      } catch (GatewayException e) {
        throw Requests.within("tools", i, Requests.PathStyle.OPENAI, e);
      }
      if (tool.path("description").isString()) {
        function.set("description", tool.get("description"));
      }
      if (tool.path("parameters").isObject()) {
        function.set("parameters", tool.get("parameters"));
      }
      if (tool.path("strict").isBoolean()) {
        function.set("strict", tool.get("strict"));
      }
      out.addObject().put("type", "function").set("function", function);
    }
    if (!out.isEmpty()) {
      canonical.set("tools", out);
    }
  }

  /** A function tool's fields, paths relative to the tool; answers its name. */
  private static String functionTool(JsonNode tool) {
    String name = Requests.requireString(tool, "name", "name");
    if (!Requests.isToolName(name)) {
      throw Requests.invalid("name", "must be 1 to 64 letters, digits, underscores or dashes "
          + "(^[a-zA-Z0-9_-]{1,64}$; got " + Requests.quote(name) + ")");
    }
    Requests.optionalString(tool, "description", "description");
    Requests.optionalObject(tool, "parameters", "parameters");
    Requests.optionalBoolean(tool, "strict", "strict");
    return name;
  }

  private static void toolChoice(ObjectNode body, ObjectNode canonical, Translation t) {
    JsonNode choice = body.get("tool_choice");
    if (choice == null || choice.isNull()) {
      return;
    }
    if (choice.isString()) {
      String value = choice.asString();
      if (!Set.of("auto", "none", "required").contains(value)) {
        throw invalid("tool_choice: must be auto, none, required or an object", "tool_choice");
      }
      canonical.put("tool_choice", value);
      return;
    }
    if (!choice.isObject()) {
      throw invalid("tool_choice: must be auto, none, required or an object" + Requests.got(choice), "tool_choice");
    }
    String type = Requests.requireString(choice, "type", "tool_choice.type");
    if ("function".equals(type)) {
      ObjectNode out = canonical.putObject("tool_choice");
      out.put("type", "function");
      out.putObject("function").put("name", requireString(choice, "name", "tool_choice"));
    } else if ("allowed_tools".equals(type)) {
      // Chat cannot restrict the model to a subset of the tools sent; keep the mode, which chat does know.
      canonical.put("tool_choice", choice.path("mode").asString("auto"));
    } else {
      t.nativeOnly("tool_choice: a choice of type " + type + " exists only on OpenAI's Responses API (provider "
          + "type openai)");
    }
  }

  private static void textFormat(ObjectNode body, ObjectNode canonical) {
    JsonNode text = Requests.optionalObject(body, "text");
    JsonNode format = text == null ? null : Requests.optionalObject(text, "format", "text.format");
    if (format == null) {
      return;
    }
    String type = format.path("type").asString("");
    switch (type) {
      case "json_object" -> canonical.putObject("response_format").put("type", "json_object");
      case "json_schema" -> {
        ObjectNode responseFormat = canonical.putObject("response_format");
        responseFormat.put("type", "json_schema");
        ObjectNode schema = responseFormat.putObject("json_schema");
        schema.put("name", requireString(format, "name", "text.format"));
        for (String field : new String[] {"description", "schema", "strict"}) {
          if (format.hasNonNull(field)) {
            schema.set(field, format.get(field));
          }
        }
      }
      case "text" -> { }
      default -> throw invalid("text.format.type: must be text, json_object or json_schema", "text.format.type");
    }
  }

  private static void copy(JsonNode value, ObjectNode canonical, String field) {
    if (value != null) {
      canonical.set(field, value);
    }
  }

  /**
   * Fields translation drops or only the native path uses, checked as OpenAI documents them so that a request
   * OpenAI would refuse is refused on every path.
   */
  private static void checkBookkeeping(ObjectNode body) {
    Requests.optionalBoolean(body, "store");
    Requests.optionalBoolean(body, "background");
    Requests.optionalObject(body, "metadata");
    Requests.optionalString(body, "previous_response_id");
    Requests.optionalEnum(body, "truncation", "truncation", TRUNCATIONS);
    Requests.optionalString(body, "service_tier");
    Requests.optionalString(body, "prompt_cache_key");
    Requests.optionalString(body, "safety_identifier");
    Requests.optionalInteger(body, "top_logprobs", 0, 20);
    Requests.optionalInteger(body, "max_tool_calls", 0, Requests.MAX_INT);
    Requests.optionalStrings(body, "include", "include", Integer.MAX_VALUE, false, Requests.PathStyle.OPENAI);
    JsonNode streamOptions = Requests.optionalObject(body, "stream_options");
    if (streamOptions != null) {
      Requests.optionalBoolean(streamOptions, "include_obfuscation", "stream_options.include_obfuscation");
    }
  }

  private static String requireString(JsonNode node, String field, String where) {
    JsonNode value = node.get(field);
    if (value == null || !value.isString()) {
      throw invalid(where + "." + field + ": must be a string", where + "." + field);
    }
    return value.asString();
  }

  private static RuntimeException invalid(String message, String param) {
    return GatewayError.INVALID_REQUEST.exception(message, param);
  }
}
