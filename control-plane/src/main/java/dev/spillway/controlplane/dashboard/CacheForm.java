package dev.spillway.controlplane.dashboard;

import dev.spillway.config.CacheConfig;
import dev.spillway.controlplane.common.CacheBody;

/**
 * A team's or key's cache settings as the dashboard edits them: mode, threshold and TTL (blank: the node's default),
 * and the shadow-mode checkbox. Like the limits' {@code enforce} boxes, the checkbox comes with a field marker
 * ({@code _shadow}), so an unticked box binds false and a post without the field leaves it off.
 */
public record CacheForm(String mode, String threshold, String ttlSeconds, Boolean shadow) {
  public CacheForm {
    mode = mode == null || mode.isBlank() ? "off" : mode.strip();
    shadow = Boolean.TRUE.equals(shadow);
  }

  public static CacheForm of(CacheConfig cache) {
    return cache == null ? new CacheForm("off", "", "", false)
        : new CacheForm(cache.mode().wireName(), cache.threshold() == null ? "" : cache.threshold().toString(),
            cache.ttlSeconds() == null ? "" : cache.ttlSeconds().toString(), cache.shadows());
  }

  /** The settings for the admin API's validation (field-level errors name {@code cache.*}); null: no settings. */
  public CacheBody body() {
    java.math.BigDecimal t = Forms.decimal("cache.threshold", threshold);
    Integer ttl = Forms.integer("cache.ttl_seconds", ttlSeconds);
    if ("off".equals(mode) && t == null && ttl == null && !shadow) {
      return null;
    }
    return new CacheBody(mode, t == null ? null : t.doubleValue(), ttl, shadow);
  }
}
