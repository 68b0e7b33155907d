package dev.spillway.config;

import java.util.Objects;

/**
 * Cache settings of a team or a virtual key; the key's settings win over its team's, field by field, and a null
 * field means the next level's (in the end the node's default).
 *
 * @param mode       {@code off}, {@code exact} (byte-for-byte the same request, after canonicalisation) or
 *                   {@code semantic} (exact, then a same-meaning last user message)
 * @param threshold  minimum cosine similarity for a semantic hit, 0.0–1.0
 * @param ttlSeconds how long an entry may be served
 * @param shadow     semantic lookups are made and recorded (would-be hits and their similarity) but never served:
 *                   to pick a threshold from real traffic before turning the semantic cache on; null means false
 */
public record CacheConfig(CacheMode mode, Double threshold, Integer ttlSeconds, Boolean shadow) {
  public CacheConfig {
    Objects.requireNonNull(mode, "mode");
    if (threshold != null && (threshold < 0.0 || threshold > 1.0)) {
      throw new IllegalArgumentException("threshold: " + threshold + " (expected: 0.0-1.0)");
    }
    if (ttlSeconds != null && ttlSeconds <= 0) {
      throw new IllegalArgumentException("ttlSeconds: " + ttlSeconds + " (expected: > 0)");
    }
  }

  /** Settings without shadow mode. */
  public CacheConfig(CacheMode mode, Double threshold, Integer ttlSeconds) {
    this(mode, threshold, ttlSeconds, null);
  }

  public boolean shadows() {
    return Boolean.TRUE.equals(shadow);
  }
}
