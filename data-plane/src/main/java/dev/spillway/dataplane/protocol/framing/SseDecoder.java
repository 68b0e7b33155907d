package dev.spillway.dataplane.protocol.framing;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
  /** The current, incomplete line: {@code line[0, lineLength)}. */
  private byte[] line = new byte[256];
  private int lineLength;
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

  /**
   * Parses {@code input} (without releasing it) and hands every completed event to {@code out}.
   *
   * <p>Scans for line ends with {@link ByteBuf#forEachByte} and copies whole line segments: reading byte by byte
   * with {@code getByte} checks the buffer's reference count on every byte, which made this loop the most expensive
   * part of relaying a stream.
   */
  public void decode(ByteBuf input, Consumer<SseEvent> out) {
    int end = input.writerIndex();
    int i = input.readerIndex();
    while (i < end) {
      if (lastWasCr) {
        lastWasCr = false;
        if (input.getByte(i) == '\n') {
          i++;
          continue;
        }
      }
      int eol = input.forEachByte(i, end - i, ByteProcessor.FIND_CRLF);
      int stop = eol < 0 ? end : eol;
      if (stop > i) {
        append(input, i, stop - i);
      }
      if (eol < 0) {
        break;
      }
      lastWasCr = input.getByte(eol) == '\r';
      endOfLine(out);
      i = eol + 1;
    }
    input.readerIndex(end);
  }

  private void append(ByteBuf input, int index, int length) {
    if (eventBytes + length > maxEventBytes) {
      throw new SseException("an event is longer than " + maxEventBytes + " bytes");
    }
    eventBytes += length;
    if (lineLength + length > line.length) {
      line = Arrays.copyOf(line, Math.max(lineLength + length, line.length * 2));
    }
    input.getBytes(index, line, lineLength, length);
    lineLength += length;
  }

  /** At the end of the stream: an event without its closing blank line is still delivered. */
  public void finish(Consumer<SseEvent> out) {
    if (lineLength > 0) {
      endOfLine(out);
    }
    dispatch(out);
  }

  private void endOfLine(Consumer<SseEvent> out) {
    if (lineLength == 0) {
      dispatch(out);
      return;
    }
    String text = new String(line, 0, lineLength, StandardCharsets.UTF_8);
    lineLength = 0;
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
