package dev.spillway.config;

/**
 * When a node stops sending to one provider key and upstream model, and when it tries again. A breaker opens after
 * {@code consecutiveFailures} failures in a row, or when at least {@code minimumCalls} calls in the last
 * {@code windowSeconds} failed at {@code failureRatePercent} or more; it stays open {@code openMs}, then lets a single
 * probe request through (half-open) and closes if it succeeds. Only passing failures count (unreachable, timeouts,
 * 5xx); a 429 cools its key down instead ({@code rateLimitCooldownMs} when the provider names no {@code Retry-After})
 * and a refused credential takes its key out until the next snapshot or a probe after {@code badKeyProbeMs}.
 *
 * <p>Each field may be null (or absent from the snapshot) for its default.
 */
public record BreakerConfig(
    Integer consecutiveFailures,
    Integer failureRatePercent,
    Integer minimumCalls,
    Integer windowSeconds,
    Long openMs,
    Long rateLimitCooldownMs,
    Long badKeyProbeMs) {
  public static final BreakerConfig DEFAULTS = new BreakerConfig(null, null, null, null, null, null, null);

  public BreakerConfig {
    consecutiveFailures = positive("consecutiveFailures", consecutiveFailures, 5);
    failureRatePercent = positive("failureRatePercent", failureRatePercent, 50);
    if (failureRatePercent > 100) {
      throw new IllegalArgumentException("failureRatePercent: " + failureRatePercent + " (expected: 1..100)");
    }
    minimumCalls = positive("minimumCalls", minimumCalls, 10);
    windowSeconds = positive("windowSeconds", windowSeconds, 30);
    openMs = positive("openMs", openMs, 5_000L);
    rateLimitCooldownMs = positive("rateLimitCooldownMs", rateLimitCooldownMs, 5_000L);
    badKeyProbeMs = positive("badKeyProbeMs", badKeyProbeMs, 60_000L);
  }

  private static Integer positive(String name, Integer value, int fallback) {
    if (value == null) {
      return fallback;
    }
    if (value <= 0) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
    }
    return value;
  }

  private static Long positive(String name, Long value, long fallback) {
    if (value == null) {
      return fallback;
    }
    if (value <= 0) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
    }
    return value;
  }
}
