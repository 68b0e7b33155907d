package dev.spillway.controlplane.common;

import dev.spillway.config.RateLimitConfig;

/** {@code {"rpm": 600, "tpm": 100000, "max_concurrent": 20}} on the admin API. */
public record RateLimitBody(Integer rpm, Integer tpm, Integer maxConcurrent) {
  public static RateLimitBody of(RateLimitConfig config) {
    return config == null ? null : new RateLimitBody(config.rpm(), config.tpm(), config.maxConcurrent());
  }
}
