package dev.spillway.config;

/**
 * Request, token and concurrency limits; a null field means no limit of that kind.
 *
 * @param rpm           requests per minute
 * @param tpm           tokens (input + output) per minute
 * @param maxConcurrent requests in flight at once
 * @param enforce       false: shadow mode, the node records what it would have refused and refuses nothing
 */
public record RateLimitConfig(Integer rpm, Integer tpm, Integer maxConcurrent, Boolean enforce) {
  public RateLimitConfig {
    requirePositive("rpm", rpm);
    requirePositive("tpm", tpm);
    requirePositive("maxConcurrent", maxConcurrent);
    enforce = enforce == null ? Boolean.TRUE : enforce;
  }

  /** Enforced limits. */
  public RateLimitConfig(Integer rpm, Integer tpm, Integer maxConcurrent) {
    this(rpm, tpm, maxConcurrent, true);
  }

  public boolean enforced() {
    return enforce;
  }

  private static void requirePositive(String name, Integer value) {
    if (value != null && value <= 0) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
    }
  }
}
