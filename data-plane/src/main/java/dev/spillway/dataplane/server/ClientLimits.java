package dev.spillway.dataplane.server;

import java.time.Duration;
import java.util.Objects;

/**
 * What a client connection may use of the node.
 *
 * @param maxBodyBytes   largest request body (413 beyond)
 * @param maxHeaderBytes largest request head (431 beyond)
 * @param idleSeconds    a keep-alive connection without a request in flight is closed after this long
 * @param headerTimeout  time a request head may take from its first byte, and a new connection to its first byte
 * @param maxConnections open client connections of the node; more are answered 503 and closed
 */
public record ClientLimits(int maxBodyBytes, int maxHeaderBytes, long idleSeconds, Duration headerTimeout,
    int maxConnections) {
  public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;

  public ClientLimits {
    Objects.requireNonNull(headerTimeout, "headerTimeout");
    if (headerTimeout.isNegative() || headerTimeout.isZero()) {
      throw new IllegalArgumentException("headerTimeout: " + headerTimeout + " (expected: > 0)");
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: >= 1)");
    }
  }
}
