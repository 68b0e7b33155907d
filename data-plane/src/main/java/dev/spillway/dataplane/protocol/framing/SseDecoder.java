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

  private static final byte[] DATA = {'d', 'a', 't', 'a'};
  private static final byte[] EVENT = {'e', 'v', 'e', 'n', 't'};

  private final int maxEventBytes;
  /** The current, incomplete line: {@code line[0, lineLength)}. */
  private byte[] line = new byte[256];
  private int lineLength;
  /** The current event's data lines, joined with LF: {@code data[0, dataLength)}. */
  private byte[] data = new byte[256];
  private int dataLength;
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

  /** A line is a field: its name up to the first colon, its value after it and one optional space. */
  private void endOfLine(Consumer<SseEvent> out) {
    if (lineLength == 0) {
      dispatch(out);
      return;
    }
    int length = lineLength;
    lineLength = 0;
    int colon = indexOf(line, length, (byte) ':');
    int nameEnd = colon < 0 ? length : colon;
    int valueStart = colon < 0 ? length : colon + 1;
    if (valueStart < length && line[valueStart] == ' ') {
      valueStart++;
    }
    if (isField(DATA, nameEnd)) {
      int needed = dataLength + (hasData ? 1 : 0) + length - valueStart;
      if (needed > data.length) {
        data = Arrays.copyOf(data, Math.max(needed, data.length * 2));
      }
      if (hasData) {
        data[dataLength++] = '\n';
      }
      System.arraycopy(line, valueStart, data, dataLength, length - valueStart);
      dataLength += length - valueStart;
      hasData = true;
    } else if (isField(EVENT, nameEnd)) {
      event = new String(line, valueStart, length - valueStart, StandardCharsets.UTF_8);
    }
    // comments (empty field), id, retry and unknown fields are ignored
  }

  private boolean isField(byte[] name, int nameLength) {
    return nameLength == name.length && Arrays.equals(line, 0, nameLength, name, 0, nameLength);
  }

  private static int indexOf(byte[] bytes, int length, byte b) {
    for (int i = 0; i < length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private void dispatch(Consumer<SseEvent> out) {
    if (hasData) {
      out.accept(SseEvent.ofUtf8(event, Arrays.copyOf(data, dataLength)));
    }
    dataLength = 0;
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
