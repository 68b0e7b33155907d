package dev.spillway.controlplane.common;

import dev.spillway.config.CacheConfig;

/** {@code {"mode": "semantic", "threshold": 0.95, "ttl_seconds": 3600}} on the admin API. */
public record CacheBody(String mode, Double threshold, Integer ttlSeconds) {
  public static CacheBody of(CacheConfig config) {
    return config == null ? null : new CacheBody(config.mode().wireName(), config.threshold(), config.ttlSeconds());
  }
}
