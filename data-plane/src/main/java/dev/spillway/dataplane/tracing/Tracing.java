package dev.spillway.dataplane.tracing;

import dev.spillway.dataplane.metrics.Endpoint;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

/**
 * A node's tracing: a {@link RequestTrace} for each proxied request. {@link #OFF} unless configured
 * ({@link TracingSettings}); called on event loops, so {@link #start} must be cheap and must not block.
 */
public interface Tracing extends AutoCloseable {
  /** The W3C trace context headers. */
  String TRACEPARENT = "traceparent";
  String TRACESTATE = "tracestate";

  /**
   * No spans. A client's {@code traceparent} (and {@code tracestate}) still reach the provider unchanged, so a
   * client's own trace continues past the gateway: one header lookup per request, and an object only when the client
   * sent one.
   */
  Tracing OFF = new Tracing() {
    // Cached ASCII names: Netty's header lookup hashes them once.
    private final AsciiString traceparent = AsciiString.cached(TRACEPARENT);
    private final AsciiString tracestate = AsciiString.cached(TRACESTATE);

    @Override
    public RequestTrace start(Endpoint endpoint, HttpHeaders clientHeaders, String requestId, long startNanos) {
      String parent = clientHeaders.get(traceparent);
      return parent == null ? RequestTrace.NONE : new PassThrough(parent, clientHeaders.get(tracestate));
    }
  };

  /**
   * The trace of a request to {@code endpoint} that arrived at {@code startNanos} ({@link System#nanoTime()}) with
   * {@code clientHeaders}; a client's {@code traceparent} makes it part of the client's trace.
   */
  RequestTrace start(Endpoint endpoint, HttpHeaders clientHeaders, String requestId, long startNanos);

  /** Whether spans are made (false for {@link #OFF}). */
  default boolean enabled() {
    return false;
  }

  /** Exports what is queued (within a few seconds) and stops. */
  @Override
  default void close() {}
}
