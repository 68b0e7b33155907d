package dev.spillway.dataplane.proxy;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.ByteBuf;

/**
 * Turns a provider's stream into the client's, event by event: only complete events are written, so a client never
 * sees half an event, and nothing is held back once complete. Reads but does not release its input.
 */
interface StreamRelay {
  void feed(ByteBuf input, StringBuilder out);

  void finish(StringBuilder out);

  void error(GatewayError error, String message, StringBuilder out);

  /** The usage the provider reported so far, or {@link Usage#NONE}. */
  Usage usage();
}
