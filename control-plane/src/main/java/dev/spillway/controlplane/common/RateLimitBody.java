package dev.spillway.controlplane.common;

import dev.spillway.config.RateLimitConfig;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * {@code {"rpm": 600, "tpm": 100000, "max_concurrent": 20, "enforce": true}} on the admin API; {@code enforce} may
 * be absent (null): enforced.
 */
public record RateLimitBody(
    Integer rpm,
    Integer tpm,
    Integer maxConcurrent,
    @JsonDeserialize(using = StrictBooleanDeserializer.class) Boolean enforce) {

  public static RateLimitBody of(RateLimitConfig config) {
    return config == null ? null : new RateLimitBody(config.rpm(), config.tpm(), config.maxConcurrent(),
        config.enforce());
  }
}
