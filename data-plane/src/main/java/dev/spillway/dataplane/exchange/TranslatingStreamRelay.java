package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.protocol.ChatStreamDecoder;
import dev.spillway.dataplane.protocol.ClientStreamEncoder;
import dev.spillway.dataplane.protocol.StreamTranscript;
import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Provider stream → canonical chunks → the client's stream format. */
final class TranslatingStreamRelay implements StreamRelay {
  private final ChatStreamDecoder decoder;
  private final ClientStreamEncoder encoder;
  /** The encoders write text; it goes to the client's buffer once per feed. */
  private final StringBuilder text = new StringBuilder();
  private final StreamTranscript transcript = new StreamTranscript();
  private Usage usage = Usage.NONE;
  private boolean started;
  /** Where the canonical chunks are kept for the cache, or null. */
  private final StreamCapture capture;
  /** Where the answer's model and finish reasons are noted for the trace, or null. */
  private final AnswerFacts facts;

  TranslatingStreamRelay(ChatStreamDecoder decoder, ClientStreamEncoder encoder, StreamCapture capture,
      AnswerFacts facts) {
    this.decoder = decoder;
    this.encoder = encoder;
    this.capture = capture;
    this.facts = facts;
  }

  @Override
  public void feed(ByteBuf input, ByteBuf out) {
    try {
      decoder.decode(input, this::emit);
    } finally {
      drainTo(out);
    }
  }

  @Override
  public void finish(ByteBuf out) {
    try {
      decoder.finish(this::emit);
      encoder.onEnd(text);
    } finally {
      drainTo(out);
    }
  }

  private void emit(ObjectNode chunk) {
    JsonNode reported = chunk.get("usage");
    if (reported != null && reported.isObject()) {
      usage = Usage.fromOpenAi(reported);
    }
    if (!started) {
      started = beginsAnswer(chunk);
    }
    if (capture != null) {
      capture.chunk(chunk); // before the encoder, which may take the usage out
    }
    if (facts != null) {
      facts.canonical(chunk);
    }
    encoder.onChunk(chunk, text);
    transcript.addChunk(chunk);
  }

  /** A chunk with content, a tool call, a finish reason or usage; not a bare role delta. */
  private static boolean beginsAnswer(ObjectNode chunk) {
    if (chunk.has("usage") && !chunk.get("usage").isNull()) {
      return true;
    }
    for (JsonNode choice : chunk.path("choices")) {
      JsonNode finish = choice.get("finish_reason");
      if (finish != null && !finish.isNull()) {
        return true;
      }
      JsonNode delta = choice.path("delta");
      for (var field : delta.properties()) {
        if (!field.getKey().equals("role") && !field.getValue().isNull()
            && !(field.getValue().isString() && field.getValue().asString().isEmpty())) {
          return true;
        }
      }
    }
    return false;
  }

  @Override
  public boolean started() {
    return started;
  }

  @Override
  public void error(GatewayError error, String message, ByteBuf out) {
    encoder.onError(error, message, text);
    drainTo(out);
  }

  /** Whatever was translated before a failure still reaches the client, ahead of the error event. */
  private void drainTo(ByteBuf out) {
    if (text.length() > 0) {
      // String.getBytes is vectorised; encoding the builder char by char was a fifth of a stream's CPU.
      out.writeBytes(text.toString().getBytes(StandardCharsets.UTF_8));
      text.setLength(0);
    }
  }

  @Override
  public Usage usage() {
    return usage;
  }

  @Override
  public StreamTranscript transcript() {
    return transcript;
  }
}
