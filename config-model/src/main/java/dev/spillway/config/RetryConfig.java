package dev.spillway.config;

/**
 * Retries of one target before moving on to the next, and the bound on all of a request's attempts.
 *
 * @param maxAttempts      attempts per target, at least 1
 * @param initialBackoffMs the ceiling of the wait before the second attempt; doubles for each later one, and the
 *                         actual wait is drawn uniformly below it ("full jitter"), so clients that failed together
 *                         do not retry together
 * @param maxBackoffMs     the ceiling never exceeds this; 0 means {@link #DEFAULT_MAX_BACKOFF_MS}
 * @param maxRetryAfterMs  a provider's {@code Retry-After} up to this long is waited for before the same target is
 *                         tried again; a longer one moves on at once; 0 means {@link #DEFAULT_MAX_RETRY_AFTER_MS}
 * @param deadlineMs       no attempt starts (and no backoff is waited) after this long since the request arrived;
 *                         0 means no deadline beyond each attempt's own timeouts
 */
public record RetryConfig(int maxAttempts, long initialBackoffMs, Long maxBackoffMs, Long maxRetryAfterMs,
    Long deadlineMs) {
  public static final long DEFAULT_MAX_BACKOFF_MS = 8_000;
  public static final long DEFAULT_MAX_RETRY_AFTER_MS = 10_000;
  public static final RetryConfig NONE = new RetryConfig(1, 0);

  public RetryConfig {
    // Boxed, and absent means 0: snapshots written before these fields existed (on a node's disk, or from a control
    // plane not yet upgraded) must still parse, and Jackson 3 refuses a missing primitive.
    maxBackoffMs = maxBackoffMs == null ? 0 : maxBackoffMs;
    maxRetryAfterMs = maxRetryAfterMs == null ? 0 : maxRetryAfterMs;
    deadlineMs = deadlineMs == null ? 0 : deadlineMs;
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts: " + maxAttempts + " (expected: >= 1)");
    }
    if (initialBackoffMs < 0 || maxBackoffMs < 0 || maxRetryAfterMs < 0 || deadlineMs < 0) {
      throw new IllegalArgumentException("backoffs and deadline must be >= 0: " + initialBackoffMs + ", "
          + maxBackoffMs + ", " + maxRetryAfterMs + ", " + deadlineMs);
    }
    maxBackoffMs = maxBackoffMs == 0 ? DEFAULT_MAX_BACKOFF_MS : maxBackoffMs;
    maxRetryAfterMs = maxRetryAfterMs == 0 ? DEFAULT_MAX_RETRY_AFTER_MS : maxRetryAfterMs;
  }

  /** Default backoff ceiling and {@code Retry-After} cap, no deadline. */
  public RetryConfig(int maxAttempts, long initialBackoffMs) {
    this(maxAttempts, initialBackoffMs, 0L, 0L, 0L);
  }

  /** The backoff ceiling before attempt {@code retry + 1} on a target ({@code retry} ≥ 1). */
  public long backoffCeilingMs(int retry) {
    if (initialBackoffMs == 0) {
      return 0;
    }
    int doublings = Math.min(Math.max(retry - 1, 0), 30);
    long ceiling = initialBackoffMs << doublings;
    return ceiling <= 0 ? maxBackoffMs : Math.min(ceiling, maxBackoffMs);
  }
}
