package dev.spillway.dataplane.metrics;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.usage.Usage;

/**
 * What one client request reports while it runs: the seam between the request path and whatever measures it
 * (metrics today; tracing or access logs could implement it too). Every method has a no-op default, so an
 * implementation overrides only what it needs and callers never check for null.
 *
 * <p>All calls for one request come from that request's event loop, in this order: any number of
 * {@code upstreamStarted} / {@code upstreamResponded} / {@code upstreamEnded} triples (one per attempt, retries and
 * fallbacks included), {@code streamStarted} and {@code firstToken} for a streamed answer, {@code usage} once the
 * answer is complete, and finally exactly one of {@link #completed} or {@link #clientClosed}. Implementations must
 * be cheap and must not block: they run on the hot path.
 */
public interface RequestObserver {
  /** Observes nothing. */
  RequestObserver NONE = new RequestObserver() {};

  /** How an upstream attempt relates to the ones before it. */
  enum Attempt {
    /** The first attempt of the request. */
    FIRST,
    /** Another attempt at the same target after a retryable failure. */
    RETRY,
    /** The first attempt at another target (another weighted target or a fallback). */
    FALLBACK
  }

  /** An upstream attempt to {@code provider} (the provider's configured name) is about to be sent. */
  default void upstreamStarted(String provider, Attempt attempt) {}

  /** The current attempt's response head arrived: the upstream's first byte. */
  default void upstreamResponded(int status) {}

  /** The current attempt ended: complete answer, failure or cancellation. Extra calls are ignored. */
  default void upstreamEnded() {}

  /** The response head of a streamed answer was written to the client. */
  default void streamStarted() {}

  /** The first event of a streamed answer was written to the client (time to first token). */
  default void firstToken() {}

  /** The tokens of a complete answer, as the provider reported them. */
  default void usage(Usage usage) {}

  /**
   * The response is complete (its last byte handed to the connection). {@code error} is null for a success; a
   * stream that started with 200 and then failed reports status 200 with the error that ended it.
   */
  default void completed(int status, GatewayError error) {}

  /** The client disconnected before the response was complete. */
  default void clientClosed() {}
}
