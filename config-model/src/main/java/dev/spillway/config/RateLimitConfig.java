package dev.spillway.config;

/**
 * Request, token and concurrency limits; a null field means no limit of that kind.
 *
 * @param rpm           requests per minute
 * @param tpm           tokens (input + output) per minute
 * @param maxConcurrent requests in flight at once
 */
public record RateLimitConfig(Integer rpm, Integer tpm, Integer maxConcurrent) {
  public RateLimitConfig {
    requirePositive("rpm", rpm);
    requirePositive("tpm", tpm);
    requirePositive("maxConcurrent", maxConcurrent);
  }

  private static void requirePositive(String name, Integer value) {
    if (value != null && value <= 0) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
    }
  }
}
