package dev.spillway.dataplane.protocol.framing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import dev.spillway.testsupport.NettyLeaks;

/**
 * Property-based fuzzing of {@link SseDecoder}: any bytes, split anywhere, decode to the same events as in one
 * piece; events never exceed the bound; the only exception is {@link SseDecoder.SseException}.
 */
class SseDecoderFuzzTest {
  private static final int BOUND = 64;

  @BeforeContainer
  static void clearLeaks() {
    NettyLeaks.collect();
    NettyLeaks.clear();
  }

  @AfterContainer
  static void assertNoLeaks() {
    assertThat(NettyLeaks.collect()).as("Netty buffer leaks").isEmpty();
  }

  /** Bytes that look like SSE often enough to reach every branch, and garbage the rest of the time. */
  @Provide
  Arbitrary<byte[]> sseLike() {
    Arbitrary<String> token = Arbitraries.oneOf(
        Arbitraries.of("data:", "data: ", "event:", "event: ", "id: 1", "retry: 5", ":comment", "data", "\n", "\r",
            "\r\n", "\n\n", "\r\r", "[DONE]", "{\"a\":1}", "é", "\u00ff", "😀", ":", " "),
        Arbitraries.strings().ofMaxLength(20),
        Arbitraries.strings().withChars('a', 'b', ':', ' ').ofMaxLength(80));
    Arbitrary<byte[]> text = token.list().ofMaxSize(60).map(parts -> String.join("", parts)
        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Arbitrary<byte[]> raw = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, text), net.jqwik.api.Tuple.of(1, raw));
  }

  @Provide
  Arbitrary<Split> splits() {
    return Combinators.combine(sseLike(), Arbitraries.integers().between(1, 400).list().ofMaxSize(30))
        .as(Split::new);
  }

  record Split(byte[] bytes, List<Integer> cuts) {
    List<byte[]> pieces() {
      List<byte[]> pieces = new ArrayList<>();
      int at = 0;
      for (int cut : cuts) {
        int end = Math.min(bytes.length, at + cut);
        pieces.add(java.util.Arrays.copyOfRange(bytes, at, end));
        at = end;
      }
      pieces.add(java.util.Arrays.copyOfRange(bytes, at, bytes.length));
      return pieces;
    }
  }

  /** Events up to the end or to the first SseException (recorded as a marker event). */
  private static List<SseEvent> decode(List<byte[]> pieces, boolean finish) {
    SseDecoder decoder = new SseDecoder(BOUND);
    List<SseEvent> events = new ArrayList<>();
    try {
      for (byte[] piece : pieces) {
        ByteBuf buf = Unpooled.wrappedBuffer(piece);
        try {
          decoder.decode(buf, events::add);
          assertThat(buf.isReadable()).as("the decoder consumes all of its input").isFalse();
        } finally {
          buf.release();
        }
      }
      if (finish) {
        decoder.finish(events::add);
      }
    } catch (SseDecoder.SseException e) {
      events.add(new SseEvent("<refused>", e.getMessage()));
    }
    return events;
  }

  @Property(tries = 2000)
  void anySplitDecodesLikeOnePiece(@ForAll("splits") Split split) {
    List<SseEvent> whole = decode(List.of(split.bytes()), true);
    List<SseEvent> pieces = decode(split.pieces(), true);

    assertThat(pieces).isEqualTo(whole);
  }

  @Property(tries = 2000)
  void decodesLikeTheByteAtATimeReferenceModel(@ForAll("splits") Split split) {
    assertThat(decode(split.pieces(), true)).isEqualTo(Reference.decode(split.bytes()));
  }

  /**
   * What a native relay writes for an event decodes to the same event (multi-line data included), and the bytes it
   * writes without decoding are those of {@link SseEvent#encode()}.
   */
  @Property(tries = 2000)
  void relayedEventsDecodeToThemselves(@ForAll("splits") Split split) {
    List<SseEvent> events = decode(split.pieces(), true);
    events.removeIf(event -> "<refused>".equals(event.event()));
    ByteBuf out = Unpooled.buffer();
    try {
      for (SseEvent event : events) {
        int start = out.writerIndex();
        event.writeTo(out);
        assertThat(out.toString(start, out.writerIndex() - start, java.nio.charset.StandardCharsets.UTF_8))
            .isEqualTo(new SseEvent(event.event(), event.data()).encode());
      }
      List<SseEvent> again = new ArrayList<>();
      SseDecoder decoder = new SseDecoder(Integer.MAX_VALUE);
      decoder.decode(out, again::add);
      decoder.finish(again::add);
      assertThat(again).isEqualTo(events);
    } finally {
      out.release();
    }
  }

  /** The WHATWG rules applied one byte at a time, as simply as possible: the model the fast decoder must match. */
  static final class Reference {
    static List<SseEvent> decode(byte[] bytes) {
      List<SseEvent> events = new ArrayList<>();
      java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
      StringBuilder data = new StringBuilder();
      String[] event = {null};
      boolean[] hasData = {false};
      boolean lastWasCr = false;
      int eventBytes = 0;
      Runnable dispatch = () -> {
        if (hasData[0]) {
          events.add(new SseEvent(event[0], data.toString()));
        }
        data.setLength(0);
        event[0] = null;
        hasData[0] = false;
      };
      java.util.function.Consumer<String> field = text -> {
        int colon = text.indexOf(':');
        String name = colon < 0 ? text : text.substring(0, colon);
        String value = colon < 0 ? "" : text.substring(colon + 1);
        if (value.startsWith(" ")) {
          value = value.substring(1);
        }
        if (name.equals("data")) {
          if (hasData[0]) {
            data.append('\n');
          }
          data.append(value);
          hasData[0] = true;
        } else if (name.equals("event")) {
          event[0] = value;
        }
      };
      for (byte b : bytes) {
        if (b == '\n' && lastWasCr) {
          lastWasCr = false;
          continue;
        }
        lastWasCr = b == '\r';
        if (b == '\n' || b == '\r') {
          if (line.size() == 0) {
            dispatch.run();
            eventBytes = 0;
          } else {
            field.accept(line.toString(java.nio.charset.StandardCharsets.UTF_8));
            line.reset();
          }
        } else {
          if (++eventBytes > BOUND) {
            events.add(new SseEvent("<refused>", "an event is longer than " + BOUND + " bytes"));
            return events;
          }
          line.write(b);
        }
      }
      if (line.size() > 0) {
        field.accept(line.toString(java.nio.charset.StandardCharsets.UTF_8));
      }
      dispatch.run();
      return events;
    }
  }

  @Property(tries = 2000)
  void neverDeliversAnEventOverItsBoundAndThrowsNothingElse(@ForAll("splits") Split split) {
    List<SseEvent> events = decode(split.pieces(), true);

    for (SseEvent event : events) {
      if (!"<refused>".equals(event.event())) {
        int size = event.data().length() + (event.event() == null ? 0 : event.event().length());
        assertThat(size).isLessThanOrEqualTo(BOUND);
      }
    }
  }

  @Property(tries = 500)
  void refusesAnEventThatNeverEndsInsteadOfGrowing(@ForAll("sseLike") byte[] prefix) {
    SseDecoder decoder = new SseDecoder(BOUND);
    byte[] endless = "data: ".concat("x".repeat(BOUND * 4)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    List<SseEvent> events = new ArrayList<>();
    boolean refused = false;
    try {
      for (byte[] piece : List.of(prefix, "\n\n".getBytes(), endless)) {
        ByteBuf buf = Unpooled.wrappedBuffer(piece);
        try {
          decoder.decode(buf, events::add);
        } finally {
          buf.release();
        }
      }
    } catch (SseDecoder.SseException e) {
      refused = true;
    }

    assertThat(refused).isTrue();
  }
}
