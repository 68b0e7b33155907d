package dev.spillway.dataplane.metrics;

import dev.spillway.dataplane.error.GatewayError;

/**
 * A node's metrics, as the request path sees them: a {@link RequestObserver} per request, a counter for requests
 * refused before they reached the gateway handler, and the exposition for {@code GET /metrics}.
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

  /** The Prometheus text exposition (format 0.0.4), or null when this node keeps no metrics. */
  default byte[] scrape() {
    return null;
  }
}
