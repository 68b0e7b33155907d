package dev.spillway.controlplane.virtualkey;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.CacheConfig;
import dev.spillway.config.LoggingConfig;
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
    LoggingConfig logging,
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
    metadata = metadata == null ? Map.of() : withoutNulls(metadata);
  }

  /** A JSON null stored before the API refused them means "no such entry" (Map.copyOf would throw on it). */
  private static Map<String, Object> withoutNulls(Map<String, Object> metadata) {
    Map<String, Object> copy = new java.util.LinkedHashMap<>();
    metadata.forEach((k, v) -> {
      if (v != null) {
        copy.put(k, v);
      }
    });
    return java.util.Collections.unmodifiableMap(copy);
  }

  @Override
  public String toString() {
    return "VirtualKey[id=" + id + ", name=" + name + ", team=" + teamId + ", prefix=" + keyPrefix + ", status="
        + status + "]";
  }
}
