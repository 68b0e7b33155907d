package dev.spillway.dataplane.exchange;

import tools.jackson.databind.node.ObjectNode;

/**
 * A successful answer as the relay kept it for the cache (the bytes of a complete answer, a stream's events or
 * canonical chunks), which becomes a canonical {@code chat.completion} only when the cache stores it.
 */
public interface CapturedAnswer {
  /**
   * The answer as a canonical chat completion (its usage may be missing: the caller has the request's usage), or
   * null when it cannot be read back. Parses: call off the event loop.
   */
  ObjectNode completion();
}
