package dev.spillway.dataplane.protocol.bedrock;

import dev.spillway.dataplane.protocol.framing.AwsEventStreamDecoder;
import dev.spillway.dataplane.protocol.framing.SseDecoder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import software.amazon.eventstream.HeaderValue;
import software.amazon.eventstream.Message;

/**
 * The AWS event-stream framing as Bedrock's ConverseStream sends it, fed whole, byte by byte and in odd splits;
 * corrupt, oversized and cut-off messages are refused.
 */
class BedrockEventStreamDecodingTest {
  private static final List<Message> MESSAGES = List.of(
      message("messageStart", "{\"role\":\"assistant\",\"p\":\"abc\"}"),
      message("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Grüße 👋\"},\"p\":\"ab\"}"),
      message("contentBlockStop", "{\"contentBlockIndex\":0}"),
      message("messageStop", "{\"stopReason\":\"end_turn\"}"),
      message("metadata", "{\"usage\":{\"inputTokens\":1,\"outputTokens\":2,\"totalTokens\":3}}"));

  @Test
  void decodesEveryMessageWhateverTheSplits() {
    byte[] stream = encode(MESSAGES);
    List<List<Integer>> splits = new ArrayList<>();
    splits.add(List.of(stream.length));
    List<Integer> ones = new ArrayList<>();
    for (int i = 0; i < stream.length; i++) {
      ones.add(1);
    }
    splits.add(ones);
    List<Integer> odd = new ArrayList<>();
    int[] sizes = {11, 1, 2, 13, 3, 5, 7, 12, 4};
    for (int left = stream.length, i = 0; left > 0; i++) {
      int size = Math.min(left, sizes[i % sizes.length]);
      odd.add(size);
      left -= size;
    }
    splits.add(odd);
    Random random = new Random(7);
    for (int round = 0; round < 50; round++) {
      List<Integer> pieces = new ArrayList<>();
      for (int left = stream.length; left > 0; ) {
        int size = Math.min(left, 1 + random.nextInt(64));
        pieces.add(size);
        left -= size;
      }
      splits.add(pieces);
    }

    for (List<Integer> pieces : splits) {
      assertThat(feed(new AwsEventStreamDecoder(), stream, pieces)).as("split %s", pieces).isEqualTo(MESSAGES);
    }
  }

  @Test
  void refusesACorruptPreludeAsSoonAsItArrives() {
    byte[] stream = encode(MESSAGES);
    stream[9] ^= 0x40; // inside the prelude CRC
    AwsEventStreamDecoder decoder = new AwsEventStreamDecoder();

    assertThatThrownBy(() -> feed(decoder, stream, List.of(12)))
        .isInstanceOf(SseDecoder.SseException.class)
        .hasMessageContaining("prelude checksum");
  }

  @Test
  void refusesAMessageWhoseChecksumDoesNotMatch() {
    byte[] stream = encode(MESSAGES.subList(0, 1));
    stream[stream.length - 6] ^= 0x01; // in the payload

    assertThatThrownBy(() -> feed(new AwsEventStreamDecoder(), stream, List.of(stream.length)))
        .isInstanceOf(SseDecoder.SseException.class)
        .hasMessageContaining("corrupt");
  }

  @Test
  void refusesMessagesLongerThanTheLimitBeforeBufferingThem() {
    byte[] stream = encode(List.of(message("contentBlockDelta", "{\"delta\":{\"text\":\"" + "x".repeat(500)
        + "\"}}")));

    assertThatThrownBy(() -> feed(new AwsEventStreamDecoder(256), stream, List.of(12)))
        .isInstanceOf(SseDecoder.SseException.class)
        .hasMessageContaining("longer than 256 bytes");
  }

  @Test
  void reportsAStreamThatEndsInsideAMessage() {
    byte[] stream = encode(MESSAGES.subList(0, 2));
    AwsEventStreamDecoder decoder = new AwsEventStreamDecoder();
    List<Message> out = feed(decoder, stream, List.of(stream.length - 5));

    assertThat(out).containsExactly(MESSAGES.get(0));
    assertThatThrownBy(decoder::finish)
        .isInstanceOf(SseDecoder.SseException.class)
        .hasMessageContaining("ended inside a message");
  }

  @Test
  void endsCleanlyAfterWholeMessages() {
    AwsEventStreamDecoder decoder = new AwsEventStreamDecoder();
    byte[] stream = encode(MESSAGES);

    assertThat(feed(decoder, stream, List.of(stream.length))).hasSize(5);
    decoder.finish();
  }

  /** Feeds {@code pieces} of {@code stream} (finish not called); every piece must be consumed and released. */
  private static List<Message> feed(AwsEventStreamDecoder decoder, byte[] stream, List<Integer> pieces) {
    List<Message> out = new ArrayList<>();
    int offset = 0;
    for (int size : pieces) {
      ByteBuf piece = Unpooled.wrappedBuffer(stream, offset, size);
      try {
        decoder.decode(piece, out::add);
        assertThat(piece.readableBytes()).isZero();
      } finally {
        piece.release();
      }
      offset += size;
    }
    return out;
  }

  private static Message message(String eventType, String json) {
    Map<String, HeaderValue> headers = new LinkedHashMap<>();
    headers.put(":event-type", HeaderValue.fromString(eventType));
    headers.put(":content-type", HeaderValue.fromString("application/json"));
    headers.put(":message-type", HeaderValue.fromString("event"));
    return new Message(headers, json.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] encode(List<Message> messages) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    messages.forEach(m -> m.encode(out));
    return out.toByteArray();
  }
}
