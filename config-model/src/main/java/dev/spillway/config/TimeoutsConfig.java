package dev.spillway.config;

/**
 * Upstream timeouts in milliseconds; 0 means the node's default for that phase.
 *
 * @param connectMs   TCP (and TLS) connect
 * @param firstByteMs from request sent to the response's first byte
 * @param idleMs      longest gap between two chunks of a response
 * @param totalMs     the whole upstream exchange
 */
public record TimeoutsConfig(long connectMs, long firstByteMs, long idleMs, long totalMs) {
  public TimeoutsConfig {
    if (connectMs < 0 || firstByteMs < 0 || idleMs < 0 || totalMs < 0) {
      throw new IllegalArgumentException("timeouts must be >= 0: " + connectMs + ", " + firstByteMs
          + ", " + idleMs + ", " + totalMs);
    }
  }
}
