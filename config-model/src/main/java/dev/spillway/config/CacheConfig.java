package dev.spillway.config;

import java.util.Objects;

/**
 * Cache settings; null threshold or ttl means the node's default.
 *
 * @param threshold  minimum cosine similarity for a semantic hit, 0.0–1.0
 * @param ttlSeconds how long an entry may be served
 */
public record CacheConfig(CacheMode mode, Double threshold, Integer ttlSeconds) {
  public CacheConfig {
    Objects.requireNonNull(mode, "mode");
    if (threshold != null && (threshold < 0.0 || threshold > 1.0)) {
      throw new IllegalArgumentException("threshold: " + threshold + " (expected: 0.0-1.0)");
    }
    if (ttlSeconds != null && ttlSeconds <= 0) {
      throw new IllegalArgumentException("ttlSeconds: " + ttlSeconds + " (expected: > 0)");
    }
  }
}
