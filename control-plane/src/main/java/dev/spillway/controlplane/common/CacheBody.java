package dev.spillway.controlplane.common;

import dev.spillway.config.CacheConfig;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * {@code {"mode": "semantic", "threshold": 0.95, "ttl_seconds": 3600, "shadow": false}} on the admin API; every
 * field but {@code mode} may be absent (null): the next level's setting, in the end the node's default. Answers
 * always say {@code shadow} (false when not set).
 */
public record CacheBody(String mode, Double threshold, Integer ttlSeconds,
    @JsonDeserialize(using = StrictBooleanDeserializer.class) Boolean shadow) {

  public static CacheBody of(CacheConfig config) {
    return config == null ? null : new CacheBody(config.mode().wireName(), config.threshold(), config.ttlSeconds(),
        config.shadows());
  }
}
