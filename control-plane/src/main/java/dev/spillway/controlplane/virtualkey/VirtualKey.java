package dev.spillway.controlplane.virtualkey;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.CacheConfig;
import dev.spillway.config.RateLimitConfig;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A virtual key as stored: the secret itself is gone, only its SHA-256 and visible prefix remain. */
public record VirtualKey(
    UUID id,
    String name,
    UUID teamId,
    String keyHash,
    String keyPrefix,
    List<String> models,
    BudgetConfig budget,
    RateLimitConfig rateLimit,
    CacheConfig cache,
    Instant expiresAt,
    Status status,
    Map<String, Object> metadata,
    UUID rotatedFrom,
    Instant createdAt,
    Instant updatedAt,
    Instant revokedAt) {

  public enum Status {
    ACTIVE, REVOKED;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public VirtualKey {
    models = models == null ? List.of() : List.copyOf(models);
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
  }

  @Override
  public String toString() {
    return "VirtualKey[id=" + id + ", name=" + name + ", team=" + teamId + ", prefix=" + keyPrefix + ", status="
        + status + "]";
  }
}
