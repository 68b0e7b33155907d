package dev.spillway.dataplane.json;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.exc.UnexpectedEndOfInputException;

/**
 * Jackson's parse errors in the words of someone who wrote the JSON: what is wrong and where, never the parser's
 * feature names, limits API or source description ({@code StreamReadConstraints.getMaxNestingDepth()},
 * {@code JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS}, {@code [Source: REDACTED …]}). Runs on error paths only.
 *
 * <p>The mapping reads Jackson's message text, which is not an API: a message it does not recognise becomes
 * "malformed JSON" with the location, never the original text.
 */
public final class JsonErrors {
  private static final int MAX_TOKEN_CHARS = 40;

  private JsonErrors() {}

  /**
   * What is wrong, with "at line L, column C" when known, e.g. {@code nesting deeper than 128 levels at line 1,
   * column 130}.
   *
   * @param parser the parser that failed, still open, to locate failures whose exception carries no location
   *               (limits); or null
   */
  public static String describe(JacksonException e, JsonParser parser) {
    TokenStreamLocation where = e.getLocation();
    if (where == null && parser != null) {
      // The container that went too deep starts at the current token; a value that is too long ends here.
      String m = e.getOriginalMessage();
      where = m != null && m.contains("nesting depth") ? parser.currentTokenLocation() : parser.currentLocation();
    }
    return what(e) + at(where);
  }

  /** {@code " at line L, column C"}, or nothing when the location is unknown. */
  static String at(TokenStreamLocation location) {
    if (location == null || location.getLineNr() <= 0 || location.getColumnNr() <= 0) {
      return "";
    }
    return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
  }

  private static String what(JacksonException e) {
    String m = e.getOriginalMessage();
    if (m == null) {
      return "malformed JSON";
    }
    if (e instanceof StreamConstraintsException) {
      return constraint(m);
    }
    if (e instanceof UnexpectedEndOfInputException || m.startsWith("Unexpected end-of-input")) {
      return endOfInput(m);
    }
    if (m.startsWith("Non-standard token")) {
      return "NaN and Infinity are not valid JSON numbers";
    }
    if (m.startsWith("Unexpected character (")) {
      return unexpectedCharacter(m);
    }
    if (m.startsWith("Unrecognized token '")) {
      String token = quoted(m, "Unrecognized token '".length());
      return "unrecognized token '" + token + "' (expected a string, number, object, array, true, false or null)";
    }
    if (m.startsWith("Illegal unquoted character (")) {
      return "control character " + codePoint(m) + " must be escaped inside a string";
    }
    if (m.startsWith("Illegal character (")) {
      return "control character " + codePoint(m) + " is not allowed between tokens";
    }
    if (m.startsWith("Unrecognized character escape")) {
      return "invalid escape sequence in a string (\\ followed by " + quotedCharacter(m) + ")";
    }
    if (m.startsWith("Invalid numeric value")) {
      return m.contains("Leading zeroes") ? "numbers must not have leading zeros" : "invalid number";
    }
    if (m.startsWith("Unexpected close marker '")) {
      char marker = m.charAt("Unexpected close marker '".length());
      return m.contains("no open") ? "'" + marker + "' closes nothing" : "'" + marker + "' does not match the "
          + (marker == '}' ? "array" : "object") + " it closes";
    }
    if (m.startsWith("Invalid UTF-8") || m.contains("UTF-8")) {
      return "the text is not valid UTF-8";
    }
    if (m.startsWith("Trailing token")) {
      return "unexpected content after the JSON value";
    }
    return "malformed JSON";
  }

  private static String constraint(String m) {
    if (m.contains("nesting depth")) {
      return "nesting deeper than " + Json.MAX_NESTING_DEPTH + " levels";
    }
    if (m.startsWith("Number value length")) {
      return "a number longer than " + Json.MAX_NUMBER_LENGTH + " characters";
    }
    if (m.startsWith("String value length")) {
      return "a string longer than " + Json.MAX_STRING_LENGTH + " characters";
    }
    if (m.startsWith("Name length")) {
      return "a property name that is too long";
    }
    return "the document is larger or more complex than allowed";
  }

  private static String endOfInput(String m) {
    if (m.contains("VALUE_STRING") || m.contains("in a String") || m.contains("in property name")) {
      return "unexpected end of input inside a string";
    }
    if (m.contains("Object")) {
      return "unexpected end of input: an object is not closed";
    }
    if (m.contains("Array")) {
      return "unexpected end of input: an array is not closed";
    }
    return "unexpected end of input";
  }

  /** {@code Unexpected character ('}' (code 125)): was expecting …}, in the situation's terms. */
  private static String unexpectedCharacter(String m) {
    String found = quotedCharacter(m);
    if (m.contains("comment")) {
      return "comments are not allowed in JSON";
    }
    if (m.contains("in numeric value")) {
      if (m.contains("plus sign")) {
        return "numbers must not start with '+'";
      }
      if (m.contains("Decimal point")) {
        return "a decimal point must be followed by a digit";
      }
      if (m.contains("minus sign")) {
        return "a minus sign must be followed by a digit";
      }
      return "invalid number (unexpected " + found + ")";
    }
    if (m.contains("double-quote to start property name")) {
      return found.equals("'}'") ? "a comma before '}' must be followed by another property"
          : "property names must be double-quoted strings (found " + found + ")";
    }
    if (m.contains("comma to separate Object entries")) {
      return "expected ',' or '}' after an object entry, found " + found;
    }
    if (m.contains("comma to separate Array entries")) {
      return "expected ',' or ']' after an array element, found " + found;
    }
    if (m.contains("colon to separate")) {
      return "expected ':' after a property name, found " + found;
    }
    if (m.contains("hex-digit")) {
      return "invalid \\u escape in a string (found " + found + ")";
    }
    if (m.contains("expected a valid value")) {
      return "expected a value, found " + found;
    }
    return "unexpected character " + found;
  }

  /**
   * The character a message names, {@code 'x'} from {@code ('x' (code 120))} when printable, else its code point
   * ({@code U+0000} from {@code ((CTRL-CHAR, code 0))}).
   */
  private static String quotedCharacter(String m) {
    int open = m.indexOf('\'');
    if (open >= 0 && m.length() > open + 2 && m.charAt(open + 2) == '\'') {
      char c = m.charAt(open + 1);
      if (c > ' ' && c < 0x7f) {
        return "'" + c + "'";
      }
    }
    return codePoint(m);
  }

  /** {@code U+000A} from the {@code code N} part of a message. */
  private static String codePoint(String m) {
    int at = m.indexOf("code ");
    if (at < 0) {
      return "a character";
    }
    int end = at + 5;
    while (end < m.length() && Character.isDigit(m.charAt(end))) {
      end++;
    }
    try {
      return String.format("U+%04X", Integer.parseInt(m.substring(at + 5, end)));
    } catch (NumberFormatException e) {
      return "a character";
    }
  }

  /** The text from {@code start} up to the next single quote, cut to a readable length. */
  private static String quoted(String m, int start) {
    int end = m.indexOf('\'', start);
    String token = end < 0 ? m.substring(start) : m.substring(start, end);
    return token.length() > MAX_TOKEN_CHARS ? token.substring(0, MAX_TOKEN_CHARS) + "…" : token;
  }
}
