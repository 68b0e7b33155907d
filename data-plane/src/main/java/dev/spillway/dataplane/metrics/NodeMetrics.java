package dev.spillway.dataplane.metrics;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.usage.UsageEvent;

/**
 * A node's metrics, as the request path sees them: a {@link RequestObserver} per request, a counter for requests
 * refused before they reached the gateway handler, client connections opened, closed and refused, and the
 * per-team counters fed by the settle stage, and the exposition for {@code GET /metrics} on the admin port. Calls
 * come from event loops (and the usage counter's thread) and must be cheap.
 */
public interface NodeMetrics {
  /** Measures nothing; {@code /metrics} answers 404. */
  NodeMetrics NONE = new NodeMetrics() {};

  /** The {@code route} label of a request to {@code <provider>/<model>}, outside any route. */
  String ROUTE_DIRECT = "direct";
  /** The {@code route} label of a request for which no route was resolved. */
  String ROUTE_NONE = "none";

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

  /**
   * A request settled with {@code event} (stage 7, or a refusal by admission): counted per team (its name) and
   * route ({@link #routeLabel}). May run on the usage counter's thread as well as on event loops.
   */
  default void settled(String team, String route, UsageEvent event) {}

  /** The {@code route} label: the route's name, {@link #ROUTE_DIRECT}, or {@link #ROUTE_NONE} when unresolved. */
  static String routeLabel(boolean resolved, String routeName) {
    if (!resolved) {
      return ROUTE_NONE;
    }
    return routeName == null ? ROUTE_DIRECT : routeName;
  }

  /** The Prometheus text exposition (format 0.0.4), or null when this node keeps no metrics. */
  default byte[] scrape() {
    return null;
  }
}
