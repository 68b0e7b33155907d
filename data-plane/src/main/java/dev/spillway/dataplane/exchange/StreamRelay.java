package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.protocol.StreamTranscript;
import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.ByteBuf;

/**
 * Turns a provider's stream into the client's, event by event: only complete events are written, so a client never
 * sees half an event, and nothing is held back once complete. Reads but does not release its input; writes the
 * client's bytes to {@code out}, which it does not own either.
 */
interface StreamRelay {
  void feed(ByteBuf input, ByteBuf out);

  void finish(ByteBuf out);

  void error(GatewayError error, String message, ByteBuf out);

  /**
   * Whether the provider has sent its stream's terminal event ({@code [DONE]}, {@code message_stop}, …): whatever
   * follows is framing (the last chunk of a chunked body), so a client that leaves now has the whole answer.
   */
  default boolean sawTerminalEvent() {
    return false;
  }

  /**
   * Whether the stream has begun its answer: an event past the preamble (Anthropic's {@code message_start} and
   * {@code ping}, the Responses API's {@code response.created} / {@code .in_progress}, an empty role delta). Until
   * then nothing is written to the client, and an in-band error fails the attempt over instead of ending the stream.
   */
  boolean started();

  /** The usage the provider reported so far, or {@link Usage#NONE}. */
  Usage usage();

  /** What was relayed so far, to count when the provider reports no usage. */
  StreamTranscript transcript();
}
