package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.protocol.ChatStreamDecoder;
import dev.spillway.dataplane.protocol.ClientStreamEncoder;
import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.ByteBuf;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Provider stream → canonical chunks → the client's stream format. */
final class TranslatingStreamRelay implements StreamRelay {
  private final ChatStreamDecoder decoder;
  private final ClientStreamEncoder encoder;
  private Usage usage = Usage.NONE;

  TranslatingStreamRelay(ChatStreamDecoder decoder, ClientStreamEncoder encoder) {
    this.decoder = decoder;
    this.encoder = encoder;
  }

  @Override
  public void feed(ByteBuf input, StringBuilder out) {
    decoder.decode(input, chunk -> emit(chunk, out));
  }

  @Override
  public void finish(StringBuilder out) {
    decoder.finish(chunk -> emit(chunk, out));
    encoder.onEnd(out);
  }

  private void emit(ObjectNode chunk, StringBuilder out) {
    JsonNode reported = chunk.get("usage");
    if (reported != null && reported.isObject()) {
      usage = Usage.fromOpenAi(reported);
    }
    encoder.onChunk(chunk, out);
  }

  @Override
  public void error(GatewayError error, String message, StringBuilder out) {
    encoder.onError(error, message, out);
  }

  @Override
  public Usage usage() {
    return usage;
  }
}
