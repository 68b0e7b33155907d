package dev.spillway.config;

/**
 * Retries of one target before moving on to the next.
 *
 * @param maxAttempts      attempts per target, at least 1
 * @param initialBackoffMs wait before the second attempt; doubles for each later one
 */
public record RetryConfig(int maxAttempts, long initialBackoffMs) {
  public static final RetryConfig NONE = new RetryConfig(1, 0);

  public RetryConfig {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts: " + maxAttempts + " (expected: >= 1)");
    }
    if (initialBackoffMs < 0) {
      throw new IllegalArgumentException("initialBackoffMs: " + initialBackoffMs + " (expected: >= 0)");
    }
  }
}
