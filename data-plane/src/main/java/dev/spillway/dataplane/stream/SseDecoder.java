package dev.spillway.dataplane.stream;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Incremental server-sent-events parser (WHATWG rules: LF, CRLF or CR line ends; {@code data:} lines joined;
 * comments and {@code id}/{@code retry} ignored; an event ends at a blank line). It holds at most one incomplete
 * line and one incomplete event, both bounded: a stream that never ends its event cannot grow memory without limit.
 */
public final class SseDecoder {
  /** Larger events are refused; a model's chunk is a few hundred bytes, a tool call's arguments a few kilobytes. */
  public static final int DEFAULT_MAX_EVENT_BYTES = 4 * 1024 * 1024;

  private final int maxEventBytes;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private final StringBuilder data = new StringBuilder();
  private String event;
  private boolean hasData;
  private boolean lastWasCr;
  private int eventBytes;

  public SseDecoder() {
    this(DEFAULT_MAX_EVENT_BYTES);
  }

  public SseDecoder(int maxEventBytes) {
    this.maxEventBytes = maxEventBytes;
  }

  /** Parses {@code input} (without releasing it) and hands every completed event to {@code out}. */
  public void decode(ByteBuf input, Consumer<SseEvent> out) {
    int end = input.writerIndex();
    for (int i = input.readerIndex(); i < end; i++) {
      byte b = input.getByte(i);
      if (b == '\n' && lastWasCr) {
        lastWasCr = false;
        continue;
      }
      lastWasCr = b == '\r';
      if (b == '\n' || b == '\r') {
        endOfLine(out);
      } else {
        if (++eventBytes > maxEventBytes) {
          throw new SseException("an event is longer than " + maxEventBytes + " bytes");
        }
        line.write(b);
      }
    }
    input.readerIndex(end);
  }

  /** At the end of the stream: an event without its closing blank line is still delivered. */
  public void finish(Consumer<SseEvent> out) {
    if (line.size() > 0) {
      endOfLine(out);
    }
    dispatch(out);
  }

  private void endOfLine(Consumer<SseEvent> out) {
    if (line.size() == 0) {
      dispatch(out);
      return;
    }
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    int colon = text.indexOf(':');
    String field = colon < 0 ? text : text.substring(0, colon);
    String value = colon < 0 ? "" : text.substring(colon + 1);
    if (value.startsWith(" ")) {
      value = value.substring(1);
    }
    switch (field) {
      case "data" -> {
        if (hasData) {
          data.append('\n');
        }
        data.append(value);
        hasData = true;
      }
      case "event" -> event = value;
      default -> { } // comments (empty field), id, retry and unknown fields
    }
  }

  private void dispatch(Consumer<SseEvent> out) {
    if (hasData) {
      out.accept(new SseEvent(event, data.toString()));
    }
    data.setLength(0);
    event = null;
    hasData = false;
    eventBytes = 0;
  }

  /** The stream is not well-formed SSE within our limits. */
  public static final class SseException extends RuntimeException {
    public SseException(String message) {
      super(message, null, false, false);
    }
  }
}
