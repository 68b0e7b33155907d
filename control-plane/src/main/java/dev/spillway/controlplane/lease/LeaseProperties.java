package dev.spillway.controlplane.lease;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Lease timing, bound from {@code spillway.leases.*}.
 *
 * @param ttlSeconds how long a grant lives unrefreshed ({@code SPILLWAY_LEASE_TTL_SECONDS}, default 10)
 * @param refreshMs  how often nodes are told to refresh; default a fifth of the TTL (2 s), so that a node misses
 *                   several refreshes before its lease runs out
 */
@ConfigurationProperties("spillway.leases")
public record LeaseProperties(Integer ttlSeconds, Integer refreshMs) {
  public LeaseProperties {
    ttlSeconds = ttlSeconds == null ? 10 : ttlSeconds;
    if (ttlSeconds < 1 || ttlSeconds > 3600) {
      throw new IllegalArgumentException("spillway.leases.ttl-seconds: " + ttlSeconds + " (expected: 1 to 3600)");
    }
    refreshMs = refreshMs == null ? ttlSeconds * 200 : refreshMs;
    if (refreshMs < 100 || refreshMs >= ttlSeconds * 1000) {
      throw new IllegalArgumentException("spillway.leases.refresh-ms: " + refreshMs + " (expected: 100 to "
          + (ttlSeconds * 1000 - 1) + ", below the TTL)");
    }
  }

  public Duration ttl() {
    return Duration.ofSeconds(ttlSeconds);
  }
}
