package dev.spillway.dataplane.metrics;

import dev.spillway.dataplane.error.GatewayError;

/**
 * A node's metrics, as the request path sees them: a {@link RequestObserver} per request, a counter for requests
 * refused before they reached the gateway handler, client connections opened, closed and refused, and the
 * exposition for {@code GET /metrics}. Calls come from event loops and must be cheap.
 */
public interface NodeMetrics {
  /** Measures nothing; {@code /metrics} answers 404. */
  NodeMetrics NONE = new NodeMetrics() {};

  /** The content type of {@link #scrape()}: Prometheus text format 0.0.4. */
  String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** A request to {@code endpoint} began at {@code startNanos} ({@link System#nanoTime()}). */
  default RequestObserver requestStarted(Endpoint endpoint, long startNanos) {
    return RequestObserver.NONE;
  }

  /** A request answered by the pipeline before it became a request (e.g. a body over the limit). */
  default void rejected(Endpoint endpoint, GatewayError error) {}

  /** A client connection was accepted. */
  default void connectionOpened() {}

  /** An accepted client connection closed. */
  default void connectionClosed() {}

  /** A client connection was refused because the node is at its connection limit. */
  default void connectionRefused() {}

  /** A client connection was closed because a request head did not arrive in time. */
  default void headerTimedOut() {}

  /** The Prometheus text exposition (format 0.0.4), or null when this node keeps no metrics. */
  default byte[] scrape() {
    return null;
  }
}
