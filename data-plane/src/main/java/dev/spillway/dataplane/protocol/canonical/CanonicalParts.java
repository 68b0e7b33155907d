package dev.spillway.dataplane.protocol.canonical;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reading the canonical (OpenAI chat completions) request for adapters that translate it into another API, and the
 * canonical extension fields they understand. Every refusal is a 400 that names the field at fault.
 */
public final class CanonicalParts {
  /**
   * Thinking, in Anthropic's block shapes. On the request (top level): the thinking configuration
   * ({@code {"type":"enabled","budget_tokens":N}} or {@code {"type":"disabled"}}). On an assistant message (request
   * and answer): the message's thinking blocks, {@code [{"type":"thinking","thinking":…,"signature":…},
   * {"type":"redacted_thinking","data":…}]}. On a stream delta: pieces of those blocks, each with the {@code index}
   * of its block among the message's thinking blocks ({@link CanonicalExtensions#THINKING}); the thinking text is
   * mirrored in {@link #REASONING_CONTENT}.
   */
  public static final String THINKING = CanonicalExtensions.THINKING;
  /** On a {@code tool} message: the tool failed (Anthropic's {@code tool_result.is_error}). */
  public static final String TOOL_ERROR = CanonicalExtensions.IS_ERROR;
  /** Request: Anthropic's {@code top_k}. */
  public static final String TOP_K = CanonicalExtensions.TOP_K;
  /** Thinking text as OpenAI-compatible reasoning servers name it: a readable mirror of {@link #THINKING}. */
  public static final String REASONING_CONTENT = CanonicalExtensions.REASONING_CONTENT;

  private static final char[] ALPHANUMERIC =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

  private CanonicalParts() {}

  /** A {@code data:} URL split into its media type and base64 payload. */
  public record DataUrl(String mediaType, String base64) {
    /** The URL's parts, null when it is not a {@code data:} URL; a 400 when it is one but not base64. */
    public static DataUrl parse(String url, String field) {
      if (url == null || !url.regionMatches(true, 0, "data:", 0, 5)) {
        return null;
      }
      int comma = url.indexOf(',');
      if (comma < 0) {
        throw invalid(field, "is a data: URL without a comma");
      }
      String meta = url.substring(5, comma);
      if (!meta.toLowerCase(Locale.ROOT).endsWith(";base64")) {
        throw invalid(field, "must be a base64 data: URL (data:<type>;base64,<data>)");
      }
      String mediaType = meta.substring(0, meta.length() - ";base64".length()).strip().toLowerCase(Locale.ROOT);
      int parameters = mediaType.indexOf(';');
      if (parameters >= 0) {
        mediaType = mediaType.substring(0, parameters);
      }
      return new DataUrl(mediaType.isEmpty() ? "application/octet-stream" : mediaType, url.substring(comma + 1));
    }
  }

  /**
   * Appends a turn of {@code role} holding {@code items} under {@code field} ({@code content} for Anthropic and
   * Bedrock, {@code parts} for Gemini), or adds the items to the last turn when it has the same role: these APIs
   * want user and assistant turns to alternate. An empty turn is left out.
   */
  public static void appendTurn(ArrayNode turns, String role, String field, ArrayNode items) {
    if (items.isEmpty()) {
      return;
    }
    JsonNode last = turns.isEmpty() ? null : turns.get(turns.size() - 1);
    if (last != null && role.equals(last.path("role").asString())) {
      ((ArrayNode) last.get(field)).addAll(items);
      return;
    }
    ObjectNode turn = turns.addObject();
    turn.put("role", role);
    turn.set(field, items);
  }

  public static GatewayException invalid(String field, String problem) {
    return GatewayError.INVALID_REQUEST.exception(field + ": " + problem, field);
  }

  /**
   * The text of a message's {@code content}: a string, or the {@code text} (and {@code refusal}) parts of an array
   * joined without separator; null content is empty. Other part types are a 400 for a role that can only hold text.
   */
  public static String text(JsonNode content, String field) {
    if (content == null || content.isNull() || content.isMissingNode()) {
      return "";
    }
    if (content.isString()) {
      return content.asString();
    }
    if (!content.isArray()) {
      throw invalid(field, "must be a string or an array of content parts");
    }
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < content.size(); i++) {
      JsonNode part = content.get(i);
      String type = part.path("type").asString("");
      switch (type) {
        case "text" -> text.append(part.path("text").asString(""));
        case "refusal" -> text.append(part.path("refusal").asString(""));
        default -> throw invalid(field + "[" + i + "]", "only text parts are allowed here, not " + describe(type));
      }
    }
    return text.toString();
  }

  /** {@code max_completion_tokens}, else {@code max_tokens}, else null. */
  public static Integer maxTokens(ObjectNode canonical) {
    for (String field : new String[] {"max_completion_tokens", "max_tokens"}) {
      JsonNode value = canonical.get(field);
      if (value != null && !value.isNull()) {
        if (!value.isIntegralNumber() || value.asLong() < 1 || value.asLong() > Integer.MAX_VALUE) {
          throw invalid(field, "must be a positive integer");
        }
        return value.asInt();
      }
    }
    return null;
  }

  /** A number field or null. */
  public static JsonNode number(ObjectNode canonical, String field) {
    JsonNode value = canonical.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isNumber()) {
      throw invalid(field, "must be a number");
    }
    return value;
  }

  /** {@code stop} as a list: a string or an array of strings; empty when absent. */
  public static List<String> stopSequences(ObjectNode canonical) {
    JsonNode stop = canonical.get("stop");
    List<String> sequences = new ArrayList<>();
    if (stop == null || stop.isNull()) {
      return sequences;
    }
    if (stop.isString()) {
      sequences.add(stop.asString());
      return sequences;
    }
    if (!stop.isArray()) {
      throw invalid("stop", "must be a string or an array of strings");
    }
    for (JsonNode s : stop) {
      if (!s.isString()) {
        throw invalid("stop", "must be a string or an array of strings");
      }
      sequences.add(s.asString());
    }
    return sequences;
  }

  /** {@code n}: absent or null is 1. */
  public static int choiceCount(ObjectNode canonical) {
    JsonNode n = canonical.get("n");
    if (n == null || n.isNull()) {
      return 1;
    }
    if (!n.isIntegralNumber() || n.asInt() < 1 || n.asInt() > 128) {
      throw invalid("n", "must be an integer from 1 to 128");
    }
    return n.asInt();
  }

  /**
   * A tool call's {@code function.arguments} (a JSON string, as OpenAI sends it; an object is accepted too) as a
   * JSON value; an empty string is an empty object.
   */
  public static JsonNode toolArguments(JsonNode arguments, String field) {
    if (arguments == null || arguments.isNull() || arguments.isMissingNode()) {
      return Json.object();
    }
    if (arguments.isObject()) {
      return arguments;
    }
    if (!arguments.isString()) {
      throw invalid(field, "must be a JSON string");
    }
    String text = arguments.asString().strip();
    if (text.isEmpty()) {
      return Json.object();
    }
    try {
      return Json.mapper().readTree(text);
    } catch (RuntimeException e) {
      throw invalid(field, "is not valid JSON");
    }
  }

  /** The function tools of the request: each checked for a {@code function.name}; other tool types are a 400. */
  public static List<ObjectNode> functionTools(ObjectNode canonical, String provider) {
    JsonNode tools = canonical.get("tools");
    List<ObjectNode> functions = new ArrayList<>();
    if (tools == null || tools.isNull()) {
      return functions;
    }
    if (!tools.isArray()) {
      throw invalid("tools", "must be an array");
    }
    for (int i = 0; i < tools.size(); i++) {
      JsonNode tool = tools.get(i);
      String type = tool.path("type").asString("function");
      if (!type.equals("function")) {
        throw invalid("tools[" + i + "].type", provider + " supports function tools only, not " + describe(type));
      }
      JsonNode function = tool.path("function");
      if (!function.isObject() || !function.path("name").isString() || function.path("name").asString().isEmpty()) {
        throw invalid("tools[" + i + "].function.name", "is required");
      }
      functions.add((ObjectNode) function);
    }
    return functions;
  }

  /** The tool choice: "auto", "none", "required", or the name of the one function to call (prefixed "fn:"). */
  public static String toolChoice(ObjectNode canonical) {
    JsonNode choice = canonical.get("tool_choice");
    if (choice == null || choice.isNull()) {
      return null;
    }
    if (choice.isString()) {
      String value = choice.asString();
      if (value.equals("auto") || value.equals("none") || value.equals("required")) {
        return value;
      }
      throw invalid("tool_choice", "must be auto, none, required or a function, not " + describe(value));
    }
    JsonNode name = choice.path("function").path("name");
    if (choice.isObject() && name.isString() && !name.asString().isEmpty()) {
      return "fn:" + name.asString();
    }
    throw invalid("tool_choice", "must be auto, none, required or {\"type\":\"function\",\"function\":{\"name\":…}}");
  }

  /**
   * A random id suffix. Completion and tool call ids need to be unique, not secret: a thread-local generator keeps
   * the event loop away from SecureRandom's lock and entropy source.
   */
  public static String randomId(int length) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] id = new char[length];
    for (int i = 0; i < length; i++) {
      id[i] = ALPHANUMERIC[random.nextInt(ALPHANUMERIC.length)];
    }
    return new String(id);
  }

  /** One URL path segment: all but RFC 3986's unreserved characters percent-encoded, {@code :} and {@code /} too. */
  public static String pathSegment(String value) {
    StringBuilder out = new StringBuilder(value.length() + 8);
    for (byte b : value.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xFF);
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
          || c == '_' || c == '~') {
        out.append(c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xF, 16)))
            .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
      }
    }
    return out.toString();
  }

  public static String describe(String value) {
    return value == null || value.isEmpty() ? "(none)" : "\"" + value + "\"";
  }
}
