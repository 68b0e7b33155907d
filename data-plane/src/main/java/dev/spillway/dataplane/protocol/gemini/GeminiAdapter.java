package dev.spillway.dataplane.protocol.gemini;

import dev.spillway.dataplane.protocol.ProviderAdapter;
import dev.spillway.dataplane.protocol.canonical.CanonicalChunks;
import dev.spillway.dataplane.protocol.canonical.CanonicalParts;
import dev.spillway.dataplane.provider.ProviderRuntime;
import dev.spillway.dataplane.provider.Timeouts;
import static dev.spillway.dataplane.protocol.canonical.CanonicalParts.invalid;

import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.ChatStreamDecoder;
import dev.spillway.dataplane.protocol.framing.SseEvent;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Google's Gemini API (Google AI Studio): {@code POST {base}/v1beta/models/{model}:generateContent},
 * {@code :streamGenerateContent?alt=sse} (server-sent events, each a whole {@code GenerateContentResponse}) and
 * {@code :batchEmbedContents}; the key travels in {@code x-goog-api-key}. {@code settings.api_version} picks another
 * API version ({@code v1}); a base URL that already ends in a version is used as it is.
 *
 * <p>Gemini identifies function calls by name, not id, and Gemini 3 models sign their function calls
 * ({@code thoughtSignature}) and refuse a replayed call without its signature. So the tool call ids Spillway hands
 * out carry the signature ({@code call_<random>__ts_<signature, base64url>}), and a replayed call is matched to its
 * signature again; a call that has none (the conversation began elsewhere) gets Google's documented
 * {@code skip_thought_signature_validator} on Gemini 3 and later. See docs/providers.md for the full mapping.
 */
public final class GeminiAdapter implements ProviderAdapter {
  static final String SIGNATURE_MARK = "__ts_";
  static final String SKIP_SIGNATURE = "skip_thought_signature_validator";
  private static final String DEFAULT_API_VERSION = "v1beta";
  private static final Pattern VERSIONED_BASE = Pattern.compile(".*/v\\d+(?:alpha|beta)?\\d*$");
  private static final Pattern MODEL_MAJOR = Pattern.compile("^gemini-(\\d+)");
  private static final Map<String, Integer> EFFORT_BUDGETS = Map.of("none", 0, "minimal", 1024, "low", 1024,
      "medium", 8192, "high", 24576);

  private final UpstreamRequest.Timeouts defaults;
  private final Clock clock;
  private final Supplier<String> ids;
  private final Supplier<String> toolCallIds;

  public GeminiAdapter(UpstreamRequest.Timeouts defaults) {
    this(defaults, Clock.systemUTC(), () -> "chatcmpl-" + CanonicalParts.randomId(24),
        () -> "call_" + CanonicalParts.randomId(24));
  }

  /** With a fixed clock and ids, for golden-file tests. */
  GeminiAdapter(UpstreamRequest.Timeouts defaults, Clock clock, Supplier<String> ids, Supplier<String> toolCallIds) {
    this.defaults = defaults;
    this.clock = clock;
    this.ids = ids;
    this.toolCallIds = toolCallIds;
  }

  @Override
  public boolean speaks(InboundApi api) {
    return false;
  }

  /** Gemini answers a wrong or expired API key with 400 INVALID_ARGUMENT ("API key not valid…"). */
  @Override
  public boolean isCredentialError(int status, String providerMessage) {
    return status == 400 && providerMessage != null
        && (providerMessage.contains("API key not valid") || providerMessage.contains("API_KEY_INVALID")
            || providerMessage.contains("API key expired"));
  }

  @Override
  public UpstreamRequest passthrough(ProviderRuntime provider, String model, ChatCall call) {
    throw new UnsupportedOperationException("gemini speaks no client API natively");
  }

  @Override
  public UpstreamRequest chat(ProviderRuntime provider, String model, ChatCall call) {
    ObjectNode body = toGemini(call.canonical(), model);
    URI uri = URI.create(modelUrl(provider, model)
        + (call.stream() ? ":streamGenerateContent?alt=sse" : ":generateContent"));
    return post(provider, uri, body, call.stream());
  }

  private UpstreamRequest post(ProviderRuntime provider, URI uri, ObjectNode body, boolean stream) {
    HttpHeaders headers = new DefaultHttpHeaders();
    headers.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    headers.set(HttpHeaderNames.ACCEPT, stream ? "text/event-stream" : "application/json");
    headers.set(HttpHeaderNames.USER_AGENT, "spillway");
    ProviderRuntime.Credential credential = provider.pickCredential();
    if (credential != null) {
      headers.set("x-goog-api-key", credential.secret());
    }
    return new UpstreamRequest(HttpMethod.POST, uri, headers, Unpooled.wrappedBuffer(Json.bytes(body)),
        Timeouts.of(provider, defaults));
  }

  /** {@code {base}/{version}/models/{model}}; a model given as {@code models/x} or {@code tunedModels/x} is kept. */
  static String modelUrl(ProviderRuntime provider, String model) {
    String base = provider.baseUri().toString();
    if (!VERSIONED_BASE.matcher(base).matches()) {
      base = base + "/" + provider.config().setting("api_version", DEFAULT_API_VERSION);
    }
    int slash = model.indexOf('/');
    String path = model.startsWith("models/") || model.startsWith("tunedModels/")
        ? model.substring(0, slash + 1) + CanonicalParts.pathSegment(model.substring(slash + 1))
        : "models/" + CanonicalParts.pathSegment(model);
    return base + "/" + path;
  }

  // ---------------------------------------------------------------- canonical → Gemini

  /** The {@code GenerateContentRequest} for a canonical request to {@code model}. */
  static ObjectNode toGemini(ObjectNode canonical, String model) {
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

  static int majorVersion(String model) {
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

  // ---------------------------------------------------------------- Gemini → canonical

  @Override
  public ObjectNode chatResponse(JsonNode body, String model) {
    if (!body.isObject() || !(body.has("candidates") || body.has("promptFeedback"))) {
      throw new IllegalArgumentException("not a GenerateContentResponse (no candidates)");
    }
    ObjectNode completion = Json.object();
    completion.put("id", ids.get());
    completion.put("object", "chat.completion");
    completion.put("created", clock.millis() / 1000);
    completion.put("model", model);
    ArrayNode choices = completion.putArray("choices");
    JsonNode candidates = body.path("candidates");
    for (int i = 0; i < candidates.size(); i++) {
      JsonNode candidate = candidates.get(i);
      StringBuilder text = new StringBuilder();
      ArrayNode toolCalls = Json.array();
      ArrayNode thinking = Json.array();
      for (JsonNode part : candidate.path("content").path("parts")) {
        if (part.path("functionCall").isObject()) {
          toolCalls.add(toolCall(part, -1));
        } else if (part.path("text").isString()) {
          if (part.path("thought").asBoolean(false)) {
            thinking.add(thought(part));
          } else {
            text.append(part.path("text").asString());
          }
        }
      }
      ObjectNode choice = choices.addObject();
      choice.put("index", candidate.path("index").asInt(i));
      ObjectNode message = choice.putObject("message");
      message.put("role", "assistant");
      if (text.length() > 0 || toolCalls.isEmpty()) {
        message.put("content", text.toString());
      } else {
        message.putNull("content");
      }
      if (!toolCalls.isEmpty()) {
        message.set("tool_calls", toolCalls);
      }
      if (!thinking.isEmpty()) {
        message.set(CanonicalParts.THINKING, thinking);
        StringBuilder reasoning = new StringBuilder();
        thinking.forEach(block -> reasoning.append(block.path("thinking").asString("")));
        message.put(CanonicalParts.REASONING_CONTENT, reasoning.toString());
      }
      choice.put("finish_reason", finishReason(candidate.path("finishReason").asString(""), !toolCalls.isEmpty()));
      choice.putNull("logprobs");
    }
    if (choices.isEmpty()) {
      // The prompt itself was blocked (promptFeedback.blockReason): no candidate at all.
      ObjectNode choice = choices.addObject();
      choice.put("index", 0);
      ObjectNode message = choice.putObject("message");
      message.put("role", "assistant");
      message.putNull("content");
      choice.put("finish_reason", body.path("promptFeedback").has("blockReason") ? "content_filter" : "stop");
      choice.putNull("logprobs");
    }
    completion.set("usage", usage(body.path("usageMetadata")));
    return completion;
  }

  /** A {@code functionCall} part as an OpenAI tool call; {@code index} is set for stream deltas (≥ 0). */
  ObjectNode toolCall(JsonNode part, int index) {
    JsonNode functionCall = part.path("functionCall");
    ObjectNode call = Json.object();
    if (index >= 0) {
      call.put("index", index);
    }
    String id = toolCallIds.get();
    if (part.path("thoughtSignature").isString() && !part.path("thoughtSignature").asString().isEmpty()) {
      id = id + SIGNATURE_MARK + base64Url(part.path("thoughtSignature").asString());
    }
    call.put("id", id);
    call.put("type", "function");
    ObjectNode function = call.putObject("function");
    function.put("name", functionCall.path("name").asString(""));
    function.put("arguments", Json.mapper().writeValueAsString(functionCall.path("args").isObject()
        ? functionCall.path("args") : Json.object()));
    return call;
  }

  /**
   * A thought summary part as a thinking block, without a signature: Gemini's signatures mean nothing to other
   * providers (Anthropic would refuse the block), and Gemini needs back only those of function calls.
   */
  static ObjectNode thought(JsonNode part) {
    ObjectNode block = Json.object();
    block.put("type", "thinking");
    block.put("thinking", part.path("text").asString(""));
    return block;
  }

  /** Gemini's finish reason as OpenAI's; a candidate that called functions finished with tool_calls. */
  static String finishReason(String reason, boolean toolCalls) {
    return switch (reason) {
      case "MAX_TOKENS" -> "length";
      case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
          "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "LANGUAGE" -> "content_filter";
      default -> toolCalls ? "tool_calls" : "stop";
    };
  }

  /**
   * {@code usageMetadata} as OpenAI usage: tool-use prompt tokens count as input, thinking tokens as output (and as
   * {@code reasoning_tokens}), cached content tokens as {@code cached_tokens}.
   */
  static ObjectNode usage(JsonNode metadata) {
    long prompt = metadata.path("promptTokenCount").asLong(0) + metadata.path("toolUsePromptTokenCount").asLong(0);
    long thoughts = metadata.path("thoughtsTokenCount").asLong(0);
    long completion = metadata.path("candidatesTokenCount").asLong(0) + thoughts;
    return CanonicalChunks.openAiUsage(prompt, completion,
        metadata.has("cachedContentTokenCount") ? metadata.path("cachedContentTokenCount").asLong(0) : null,
        metadata.has("thoughtsTokenCount") ? thoughts : null);
  }

  /** The thought signature a tool call id carries, or null. */
  static String signatureOf(String toolCallId) {
    int mark = toolCallId.indexOf(SIGNATURE_MARK);
    if (mark < 0) {
      return null;
    }
    String encoded = toolCallId.substring(mark + SIGNATURE_MARK.length());
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

  /** Standard base64 to its URL-safe, unpadded form, so that ids stay within [A-Za-z0-9_-]. */
  static String base64Url(String standard) {
    StringBuilder url = new StringBuilder(standard.length());
    for (int i = 0; i < standard.length(); i++) {
      char c = standard.charAt(i);
      if (c == '+') {
        url.append('-');
      } else if (c == '/') {
        url.append('_');
      } else if (c != '=') {
        url.append(c);
      }
    }
    return url.toString();
  }

  @Override
  public ChatStreamDecoder newStreamDecoder(String model) {
    return new GeminiStreamDecoder(this, new CanonicalChunks(ids.get(), clock.millis() / 1000, model));
  }

  @Override
  public Usage nativeUsage(JsonNode body) {
    return Usage.NONE;
  }

  @Override
  public Usage nativeStreamUsage(SseEvent event) {
    return null;
  }

  // ---------------------------------------------------------------- embeddings

  /**
   * An OpenAI embeddings request as {@code :batchEmbedContents}: each input string one request, {@code dimensions}
   * as {@code outputDimensionality}; {@code encoding_format} is the proxy's business and {@code user} is dropped.
   */
  @Override
  public UpstreamRequest embeddings(ProviderRuntime provider, String model, ObjectNode request) {
    return embeddings(provider, model, embeddingInputs(request.get("input")), dimensions(request.get("dimensions")));
  }

  /** {@code :batchEmbedContents} for these texts, optionally truncated to {@code dimensions}. */
  public UpstreamRequest embeddings(ProviderRuntime provider, String model, List<String> inputs, Integer dimensions) {
    String modelUrl = modelUrl(provider, model);
    String modelName = modelUrl.substring(modelUrl.lastIndexOf('/', modelUrl.lastIndexOf('/') - 1) + 1);
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
    return post(provider, URI.create(modelUrl + ":batchEmbedContents"), body, false);
  }

  @Override
  public ObjectNode embeddingsResponse(JsonNode body, String model) {
    List<float[]> vectors = embeddingVectors(body);
    ObjectNode list = Json.object();
    list.put("object", "list");
    ArrayNode data = list.putArray("data");
    for (int i = 0; i < vectors.size(); i++) {
      ObjectNode item = data.addObject();
      item.put("object", "embedding");
      item.put("index", i);
      ArrayNode values = item.putArray("embedding");
      for (float v : vectors.get(i)) {
        values.add(v);
      }
    }
    list.put("model", model);
    // batchEmbedContents reports no token counts; 0 means "unknown" to accounting.
    long tokens = body.path("usageMetadata").path("promptTokenCount").asLong(0);
    ObjectNode usage = list.putObject("usage");
    usage.put("prompt_tokens", tokens);
    usage.put("total_tokens", tokens);
    return list;
  }

  /** The vectors of a {@code batchEmbedContents} answer, in request order. */
  public List<float[]> embeddingVectors(JsonNode body) {
    JsonNode embeddings = body.path("embeddings");
    if (!embeddings.isArray()) {
      throw new IllegalArgumentException("not a batchEmbedContents response (no embeddings)");
    }
    List<float[]> vectors = new ArrayList<>(embeddings.size());
    for (JsonNode embedding : embeddings) {
      JsonNode values = embedding.path("values");
      float[] vector = new float[values.size()];
      for (int i = 0; i < vector.length; i++) {
        vector[i] = (float) values.get(i).asDouble();
      }
      vectors.add(vector);
    }
    return vectors;
  }

  private static List<String> embeddingInputs(JsonNode input) {
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

  private static Integer dimensions(JsonNode dimensions) {
    if (dimensions == null || dimensions.isNull()) {
      return null;
    }
    if (!dimensions.isIntegralNumber() || dimensions.asInt() < 1) {
      throw invalid("dimensions", "must be a positive integer");
    }
    return dimensions.asInt();
  }
}
