package dev.spillway.dataplane.protocol.framing;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import software.amazon.eventstream.Message;

/**
 * Incremental decoder of the AWS event-stream framing ({@code application/vnd.amazon.eventstream}, Bedrock's
 * ConverseStream): each message is a 12-byte prelude (total length, headers length, prelude CRC), headers, payload
 * and a message CRC. Bytes may arrive in any split; complete messages are handed on in order.
 *
 * <p>The messages themselves are decoded by the {@code software.amazon.eventstream} library ({@link Message#decode}
 * checks both CRCs and parses the typed headers); this class only gathers one message's bytes. The library's own
 * {@code MessageDecoder} is not used because it allocates a 2 MiB buffer per decoder up front, which a gateway
 * relaying many streams cannot afford; here a stream holds at most one message, bounded by
 * {@code maxMessageBytes}, and the prelude CRC is checked as soon as it arrives so a stream of garbage fails at once
 * instead of waiting for a length it made up. Reads but does not release its input.
 */
public final class AwsEventStreamDecoder {
  /** Bedrock's stream events are a few hundred bytes; a tool call's input a few kilobytes. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = SseDecoder.DEFAULT_MAX_EVENT_BYTES;

  private static final int PRELUDE_BYTES = 12;
  private static final int MIN_MESSAGE_BYTES = 16;

  private final int maxMessageBytes;
  private final byte[] prelude = new byte[PRELUDE_BYTES];
  private int preludeFilled;
  private byte[] message;
  private int messageFilled;

  public AwsEventStreamDecoder() {
    this(DEFAULT_MAX_MESSAGE_BYTES);
  }

  public AwsEventStreamDecoder(int maxMessageBytes) {
    if (maxMessageBytes < MIN_MESSAGE_BYTES) {
      throw new IllegalArgumentException("maxMessageBytes: " + maxMessageBytes + " (expected: >= 16)");
    }
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Consumes all of {@code input} (without releasing it) and hands every completed message to {@code out}. */
  public void decode(ByteBuf input, Consumer<Message> out) {
    while (input.isReadable()) {
      if (message == null) {
        int n = Math.min(PRELUDE_BYTES - preludeFilled, input.readableBytes());
        input.readBytes(prelude, preludeFilled, n);
        preludeFilled += n;
        if (preludeFilled < PRELUDE_BYTES) {
          return;
        }
        message = new byte[checkedLength()];
        System.arraycopy(prelude, 0, message, 0, PRELUDE_BYTES);
        messageFilled = PRELUDE_BYTES;
        preludeFilled = 0;
      }
      int n = Math.min(message.length - messageFilled, input.readableBytes());
      input.readBytes(message, messageFilled, n);
      messageFilled += n;
      if (messageFilled == message.length) {
        byte[] complete = message;
        message = null;
        out.accept(decodeMessage(complete));
      }
    }
  }

  /** At the end of the stream: a message cut short is an error, not something to drop silently. */
  public void finish() {
    if (message != null || preludeFilled > 0) {
      int have = message != null ? messageFilled : preludeFilled;
      message = null;
      preludeFilled = 0;
      throw new SseDecoder.SseException("the event stream ended inside a message (" + have + " bytes of it arrived)");
    }
  }

  private int checkedLength() {
    CRC32 crc = new CRC32();
    crc.update(prelude, 0, 8);
    if ((int) crc.getValue() != readInt(prelude, 8)) {
      throw new SseDecoder.SseException("the event stream is corrupt (prelude checksum mismatch)");
    }
    long total = readInt(prelude, 0) & 0xFFFFFFFFL;
    long headers = readInt(prelude, 4) & 0xFFFFFFFFL;
    if (total < MIN_MESSAGE_BYTES || headers > total - MIN_MESSAGE_BYTES) {
      throw new SseDecoder.SseException("the event stream is corrupt (message length " + total + ", headers "
          + headers + ")");
    }
    if (total > maxMessageBytes) {
      throw new SseDecoder.SseException("an event-stream message is longer than " + maxMessageBytes + " bytes");
    }
    return (int) total;
  }

  private static Message decodeMessage(byte[] bytes) {
    try {
      return Message.decode(ByteBuffer.wrap(bytes));
    } catch (RuntimeException e) {
      throw new SseDecoder.SseException("the event stream is corrupt (" + e.getMessage() + ")");
    }
  }

  private static int readInt(byte[] bytes, int offset) {
    return (bytes[offset] & 0xFF) << 24 | (bytes[offset + 1] & 0xFF) << 16 | (bytes[offset + 2] & 0xFF) << 8
        | bytes[offset + 3] & 0xFF;
  }
}
