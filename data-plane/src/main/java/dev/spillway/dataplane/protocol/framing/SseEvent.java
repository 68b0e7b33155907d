package dev.spillway.dataplane.protocol.framing;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One server-sent event. {@code event} is null when the stream did not name it (OpenAI streams do not; Anthropic
 * streams do). Multi-line data is joined with {@code \n} as the SSE spec says.
 *
 * <p>The data is kept as the UTF-8 bytes it arrived in and decoded only when asked for: a native stream relays most
 * events without ever looking at them as text (decoding and re-encoding each event was most of a stream's cost).
 */
public final class SseEvent {
  private static final byte[] DATA_FIELD = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EVENT_FIELD = "event: ".getBytes(StandardCharsets.US_ASCII);

  private final String event;
  private byte[] dataBytes;
  private String data;
  /** Where the keys {@code "usage"} and {@code "error"} start in the data (-1: absent); -2 until scanned. */
  private int usageKey = -2;
  private int errorKey = -2;

  public SseEvent(String event, String data) {
    this.event = event;
    this.data = Objects.requireNonNull(data, "data");
  }

  private SseEvent(String event, byte[] dataBytes) {
    this.event = event;
    this.dataBytes = dataBytes;
  }

  /** An event whose data is {@code utf8} (taken, not copied). */
  static SseEvent ofUtf8(String event, byte[] utf8) {
    return new SseEvent(event, utf8);
  }

  /** The event's name, or null. */
  public String event() {
    return event;
  }

  public String data() {
    if (data == null) {
      data = new String(dataBytes, StandardCharsets.UTF_8);
    }
    return data;
  }

  /** The data as UTF-8; the caller must not change the array. */
  public byte[] dataBytes() {
    if (dataBytes == null) {
      dataBytes = data.getBytes(StandardCharsets.UTF_8);
    }
    return dataBytes;
  }

  /** Whether the data contains {@code ascii}, without decoding it. */
  public boolean dataContains(byte[] ascii) {
    byte[] haystack = dataBytes();
    int last = haystack.length - ascii.length;
    if (ascii.length == 0) {
      return true;
    }
    byte first = ascii[0];
    outer:
    for (int i = 0; i <= last; i++) {
      if (haystack[i] != first) {
        continue;
      }
      for (int j = 1; j < ascii.length; j++) {
        if (haystack[i + j] != ascii[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /**
   * Where the JSON key {@code "usage"} starts in the data, or -1. One pass finds it and {@code "error"} together:
   * a native stream relay asks both of every event, and scanning each event once for both is half the work.
   */
  public int usageKeyIndex() {
    scanKeys();
    return usageKey;
  }

  /** Whether the data has the JSON key {@code "error"} (see {@link #usageKeyIndex()}). */
  public boolean hasErrorKey() {
    scanKeys();
    return errorKey >= 0;
  }

  private void scanKeys() {
    if (usageKey != -2) {
      return;
    }
    byte[] b = dataBytes();
    int usage = -1;
    int error = -1;
    int last = b.length - 7; // a key is '"' + 5 letters + '"'
    for (int i = 0; i <= last; i++) {
      if (b[i] != '"') {
        continue;
      }
      byte c = b[i + 1];
      if (c == 'u' && usage < 0 && b[i + 2] == 's' && b[i + 3] == 'a' && b[i + 4] == 'g' && b[i + 5] == 'e'
          && b[i + 6] == '"') {
        usage = i;
      } else if (c == 'e' && error < 0 && b[i + 2] == 'r' && b[i + 3] == 'r' && b[i + 4] == 'o' && b[i + 5] == 'r'
          && b[i + 6] == '"') {
        error = i;
      }
    }
    usageKey = usage;
    errorKey = error;
  }

  /**
   * Whether the {@code "usage"} key holds an object (not {@code null}, which OpenAI sends in every chunk of a stream
   * that asked for usage): only then is the event worth parsing for it.
   */
  public boolean hasUsageObject() {
    int at = usageKeyIndex();
    if (at < 0) {
      return false;
    }
    byte[] b = dataBytes();
    int i = at + 7;
    while (i < b.length && (b[i] == ' ' || b[i] == ':' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r')) {
      i++;
    }
    return i < b.length && b[i] == '{';
  }

  /** Whether the data is exactly {@code ascii}. */
  public boolean dataEquals(byte[] ascii) {
    return java.util.Arrays.equals(dataBytes(), ascii);
  }

  /** The event as it goes on the wire: each data line its own {@code data:} field, ended by a blank line. */
  public String encode() {
    String lines = data().replace("\n", "\ndata: ");
    return event == null ? "data: " + lines + "\n\n" : "event: " + event + "\ndata: " + lines + "\n\n";
  }

  /** Writes {@link #encode()}'s bytes to {@code out} straight from the data's bytes. */
  public void writeTo(ByteBuf out) {
    if (event != null) {
      out.writeBytes(EVENT_FIELD);
      out.writeCharSequence(event, StandardCharsets.UTF_8);
      out.writeByte('\n');
    }
    byte[] bytes = dataBytes();
    out.writeBytes(DATA_FIELD);
    int start = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        out.writeBytes(bytes, start, i + 1 - start);
        out.writeBytes(DATA_FIELD);
        start = i + 1;
      }
    }
    out.writeBytes(bytes, start, bytes.length - start);
    out.writeByte('\n').writeByte('\n');
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SseEvent that && Objects.equals(event, that.event) && data().equals(that.data());
  }

  @Override
  public int hashCode() {
    return Objects.hash(event, data());
  }

  @Override
  public String toString() {
    return "SseEvent[event=" + event + ", data=" + data() + "]";
  }
}
