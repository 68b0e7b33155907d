package dev.spillway.dataplane.protocol;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Field checks shared by the client formats. A failure is a 400 {@code invalid_request} whose message starts with
 * the field's path and says what the field must be ({@code messages[0].content: must be a string or an array of
 * content parts}); the path is also the error's {@code param}.
 *
 * <p>The checks read the parsed body in place, on the event loop, for every request: nothing is copied, and no
 * path string is built unless a check fails. A walk over nested values checks each element with paths relative to
 * it ({@code content}, {@code image_url.url}) and catches a failure to put the element's own path in front
 * ({@link #within}), so {@code messages[3].content[1].image_url.url} exists only in an error. Absent and
 * {@code null} optional fields always pass: the APIs accept null for what they make optional.
 */
public final class Requests {
  /** The largest token count or similar integer a provider takes (their APIs declare them as 32-bit). */
  public static final long MAX_INT = Integer.MAX_VALUE;

  /** Longest piece of a client's value quoted back in a message. */
  private static final int QUOTE_LIMIT = 64;

  private Requests() {}

  /** How an API spells a path into an array: OpenAI {@code messages[0].role}, Anthropic {@code messages.0.role}. */
  public enum PathStyle {
    OPENAI,
    ANTHROPIC;

    public String index(String path, int i) {
      return this == OPENAI ? path + "[" + i + "]" : path + "." + i;
    }
  }

  public static String requireModel(ObjectNode body) {
    JsonNode model = body.get("model");
    if (model == null || model.isNull()) {
      throw GatewayError.INVALID_REQUEST.exception("model: is required", "model");
    }
    if (!model.isString() || model.asString().isBlank()) {
      throw GatewayError.INVALID_REQUEST.exception("model: must be a non-empty string", "model");
    }
    return model.asString();
  }

  /** A top-level boolean; absent or null is false. */
  public static boolean optionalBoolean(ObjectNode body, String field) {
    return optionalBoolean(body, field, field);
  }

  /** {@code parent.field} as a boolean; absent or null is false. */
  public static boolean optionalBoolean(JsonNode parent, String field, String path) {
    JsonNode value = parent.get(field);
    if (value == null || value.isNull()) {
      return false;
    }
    if (!value.isBoolean()) {
      throw invalid(path, "must be true or false" + got(value));
    }
    return value.asBoolean();
  }

  /** A top-level integer in {@code [min, max]}, or null when absent or null. */
  public static JsonNode optionalInteger(ObjectNode body, String field, long min, long max) {
    return optionalInteger(body, field, field, min, max);
  }

  /**
   * {@code parent.field} as a JSON integer in {@code [min, max]}, or null when absent or null. Numbers too large for
   * a {@code long} are refused here, so later readers may call {@code asLong()} (and {@code asInt()} when
   * {@code max <= MAX_INT}).
   */
  public static JsonNode optionalInteger(JsonNode parent, String field, String path, long min, long max) {
    JsonNode value = parent.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isIntegralNumber()) {
      throw invalid(path, "must be an integer" + got(value));
    }
    if (!value.canConvertToLong() || value.asLong() < min || value.asLong() > max) {
      throw invalid(path, "must be an integer " + range(min, max) + " (got " + value + ")");
    }
    return value;
  }

  /** A top-level number in {@code [min, max]}, or null when absent or null. */
  public static JsonNode optionalNumber(ObjectNode body, String field, double min, double max) {
    return optionalNumber(body, field, field, min, max);
  }

  /** {@code parent.field} as a number in {@code [min, max]}, or null when absent or null. */
  public static JsonNode optionalNumber(JsonNode parent, String field, String path, double min, double max) {
    JsonNode value = parent.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isNumber()) {
      throw invalid(path, "must be a number " + between(min, max) + got(value));
    }
    double number = value.asDouble();
    if (!(number >= min && number <= max)) {
      throw invalid(path, "must be a number " + between(min, max) + " (got " + value + ")");
    }
    return value;
  }

  /** A top-level string, or null when absent or null. */
  public static String optionalString(ObjectNode body, String field) {
    return optionalString(body, field, field);
  }

  /** {@code parent.field} as a string, or null when absent or null. */
  public static String optionalString(JsonNode parent, String field, String path) {
    JsonNode value = parent.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isString()) {
      throw invalid(path, "must be a string" + got(value));
    }
    return value.asString();
  }

  /** {@code parent.field} as a string that must be there. */
  public static String requireString(JsonNode parent, String field, String path) {
    JsonNode value = parent.get(field);
    if (value == null || value.isNull()) {
      throw invalid(path, "is required");
    }
    if (!value.isString()) {
      throw invalid(path, "must be a string" + got(value));
    }
    return value.asString();
  }

  /** A top-level JSON object, or null when absent or null. */
  public static JsonNode optionalObject(ObjectNode body, String field) {
    return optionalObject(body, field, field);
  }

  /** {@code parent.field} as a JSON object, or null when absent or null. */
  public static JsonNode optionalObject(JsonNode parent, String field, String path) {
    JsonNode value = parent.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isObject()) {
      throw invalid(path, "must be an object" + got(value));
    }
    return value;
  }

  /** {@code parent.field} as a JSON object that must be there. */
  public static JsonNode requireObject(JsonNode parent, String field, String path) {
    JsonNode value = optionalObject(parent, field, path);
    if (value == null) {
      throw invalid(path, "is required");
    }
    return value;
  }

  /** {@code parent.field} as a JSON array, or null when absent or null. */
  public static JsonNode optionalArray(JsonNode parent, String field, String path) {
    JsonNode value = parent.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isArray()) {
      throw invalid(path, "must be an array" + got(value));
    }
    return value;
  }

  /**
   * {@code parent.field} as an array of at most {@code maxItems} strings, or null when absent or null; with
   * {@code orString}, a single string passes too (OpenAI's {@code stop}).
   */
  public static JsonNode optionalStrings(JsonNode parent, String field, String path, int maxItems, boolean orString,
      PathStyle style) {
    JsonNode value = parent.get(field);
    if (value == null || value.isNull() || (orString && value.isString())) {
      return value;
    }
    String expected = orString ? "must be a string or an array of strings" : "must be an array of strings";
    if (!value.isArray()) {
      throw invalid(path, expected + got(value));
    }
    if (value.size() > maxItems) {
      throw invalid(path, expected + ", at most " + maxItems + " (got " + value.size() + ")");
    }
    for (int i = 0; i < value.size(); i++) {
      if (!value.get(i).isString()) {
        throw invalid(style.index(path, i), "must be a string" + got(value.get(i)));
      }
    }
    return value;
  }

  /** {@code parent.field}, a string that must be one of {@code allowed}; null when absent or null. */
  public static String optionalEnum(JsonNode parent, String field, String path, String... allowed) {
    String value = optionalString(parent, field, path);
    if (value == null) {
      return null;
    }
    for (String candidate : allowed) {
      if (candidate.equals(value)) {
        return value;
      }
    }
    throw invalid(path, "must be " + oneOf(allowed) + " (got " + quote(value) + ")");
  }

  /** A function or tool name as OpenAI takes it: 1 to 64 letters, digits, {@code _} or {@code -}. */
  public static boolean isToolName(String name) {
    if (name.isEmpty() || name.length() > 64) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** {@code a, b or c}. */
  public static String oneOf(String... allowed) {
    if (allowed.length == 1) {
      return allowed[0];
    }
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < allowed.length; i++) {
      if (i > 0) {
        text.append(i == allowed.length - 1 ? " or " : ", ");
      }
      text.append(allowed[i]);
    }
    return text.toString();
  }

  /**
   * The same failure as {@code e}, found inside the element {@code index} of the array at {@code array}: its path
   * gets the element's in front ({@code role} becomes {@code messages[0].role}, or {@code messages.0.role}).
   */
  public static GatewayException within(String array, int index, PathStyle style, GatewayException e) {
    return within(style.index(array, index), e);
  }

  /** The same failure as {@code e}, found inside the value at {@code parent}: {@code parent.<its path>}. */
  public static GatewayException within(String parent, GatewayException e) {
    String param = e.param();
    String message = e.getMessage();
    if (param == null || message == null || !message.startsWith(param + ": ")) {
      return e;
    }
    String path = param.startsWith("[") ? parent + param : parent + "." + param;
    return invalid(path, message.substring(param.length() + 2));
  }

  /** A 400 naming {@code path} as the field at fault: {@code "<path>: <problem>"}. */
  public static GatewayException invalid(String path, String problem) {
    return GatewayError.INVALID_REQUEST.exception(path + ": " + problem, path);
  }

  /** {@code " (got a string)"}: what the client sent instead, without echoing its content. */
  public static String got(JsonNode value) {
    return " (got " + kind(value) + ")";
  }

  /** The JSON type of {@code value} with its article: {@code a string}, {@code an array}, {@code 1.5}. */
  public static String kind(JsonNode value) {
    if (value == null || value.isMissingNode()) {
      return "nothing";
    }
    if (value.isNull()) {
      return "null";
    }
    if (value.isString()) {
      return "a string";
    }
    if (value.isBoolean()) {
      return value.asBoolean() ? "true" : "false";
    }
    if (value.isNumber()) {
      return value.toString();
    }
    return value.isArray() ? "an array" : "an object";
  }

  /** A client's string in quotes, cut short when long. */
  public static String quote(String value) {
    return "\"" + (value.length() > QUOTE_LIMIT ? value.substring(0, QUOTE_LIMIT) + "…" : value) + "\"";
  }

  private static String range(long min, long max) {
    if (max == Long.MAX_VALUE && min == Long.MIN_VALUE) {
      return "that fits in 64 bits";
    }
    return max == MAX_INT && min >= 0 ? "of at least " + min + " and at most " + max : "from " + min + " to " + max;
  }

  private static String between(double min, double max) {
    return "from " + number(min) + " to " + number(max);
  }

  private static String number(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }
}
