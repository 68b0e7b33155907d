package dev.spillway.dataplane.usage;

import java.util.Arrays;

/**
 * One JSON object written straight into UTF-8 bytes, field by field: the usage event's wire line. It runs once per
 * request on the event loop. Building the line in a {@link StringBuilder} char by char and encoding it again took
 * 2.2 µs for a typical chat event; here ASCII, which is nearly all of a line, is copied byte for byte and nothing is
 * encoded twice: 1.75 µs (one core, a million lines; docs/benchmarks.md). Separators are implied: a field or element
 * after another gets its comma.
 */
final class JsonLineWriter {
  private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private byte[] buf;
  private int len;

  JsonLineWriter(int capacity) {
    buf = new byte[Math.max(64, capacity)];
    buf[len++] = '{';
  }

  JsonLineWriter string(String name, String value) {
    name(name);
    if (value == null) {
      return ascii("null");
    }
    ensure(value.length() + 2);
    buf[len++] = '"';
    escaped(value);
    ensure(1);
    buf[len++] = '"';
    return this;
  }

  JsonLineWriter number(String name, long value) {
    name(name);
    return ascii(Long.toString(value));
  }

  /** A number, or {@code null}. */
  JsonLineWriter number(String name, Long value) {
    name(name);
    return ascii(value == null ? "null" : Long.toString(value));
  }

  /** A value already written as JSON by the caller, ASCII only (a formatted number, {@code null}). */
  JsonLineWriter raw(String name, String asciiJson) {
    name(name);
    return ascii(asciiJson);
  }

  JsonLineWriter bool(String name, boolean value) {
    name(name);
    return ascii(value ? "true" : "false");
  }

  JsonLineWriter beginObject(String name) {
    name(name);
    return put('{');
  }

  /** An object as the next element of an array. */
  JsonLineWriter beginElement() {
    separator();
    return put('{');
  }

  JsonLineWriter endObject() {
    return put('}');
  }

  JsonLineWriter beginArray(String name) {
    name(name);
    return put('[');
  }

  JsonLineWriter endArray() {
    return put(']');
  }

  /** The object closed and a newline after it: the finished line. */
  byte[] line() {
    put('}');
    put('\n');
    return Arrays.copyOf(buf, len);
  }

  private void name(String name) {
    separator();
    ensure(name.length() + 3);
    buf[len++] = '"';
    for (int i = 0; i < name.length(); i++) {
      buf[len++] = (byte) name.charAt(i); // field names are ASCII constants
    }
    buf[len++] = '"';
    buf[len++] = ':';
  }

  private void separator() {
    byte last = buf[len - 1];
    if (last != '{' && last != '[') {
      put(',');
    }
  }

  private JsonLineWriter ascii(String text) {
    ensure(text.length());
    for (int i = 0; i < text.length(); i++) {
      buf[len++] = (byte) text.charAt(i);
    }
    return this;
  }

  private JsonLineWriter put(char c) {
    ensure(1);
    buf[len++] = (byte) c;
    return this;
  }

  /** {@code value}'s characters as JSON string content in UTF-8; JavaScript's line separators escaped too. */
  private void escaped(String value) {
    int n = value.length();
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
        ensure(1);
        buf[len++] = (byte) c;
      } else if (c < 0x80) {
        switch (c) {
          case '"' -> two('\\', '"');
          case '\\' -> two('\\', '\\');
          case '\n' -> two('\\', 'n');
          case '\r' -> two('\\', 'r');
          case '\t' -> two('\\', 't');
          default -> unicodeEscape(c);
        }
      } else if (c == 0x2028 || c == 0x2029) {
        unicodeEscape(c);
      } else if (c < 0x800) {
        ensure(2);
        buf[len++] = (byte) (0xC0 | (c >> 6));
        buf[len++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(value.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, value.charAt(++i));
        ensure(4);
        buf[len++] = (byte) (0xF0 | (cp >> 18));
        buf[len++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        buf[len++] = (byte) (0x80 | (cp & 0x3F));
      } else if (Character.isSurrogate(c)) {
        unicodeEscape(c); // a lone surrogate: escaped, as it has no UTF-8 form
      } else {
        ensure(3);
        buf[len++] = (byte) (0xE0 | (c >> 12));
        buf[len++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        buf[len++] = (byte) (0x80 | (c & 0x3F));
      }
    }
  }

  private void two(char a, char b) {
    ensure(2);
    buf[len++] = (byte) a;
    buf[len++] = (byte) b;
  }

  private void unicodeEscape(char c) {
    ensure(6);
    buf[len++] = '\\';
    buf[len++] = 'u';
    buf[len++] = HEX[(c >> 12) & 0xF];
    buf[len++] = HEX[(c >> 8) & 0xF];
    buf[len++] = HEX[(c >> 4) & 0xF];
    buf[len++] = HEX[c & 0xF];
  }

  private void ensure(int more) {
    if (len + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
  }
}
