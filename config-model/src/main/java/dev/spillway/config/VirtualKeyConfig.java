package dev.spillway.config;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A virtual key as a node sees it: only the SHA-256 of the secret, never the secret.
 *
 * @param keyHash   lower-case hex SHA-256 of the full key string ({@code sk-sw-…})
 * @param keyPrefix the visible start of the key, for logs and the dashboard
 * @param models    model names (routes or {@code provider/model}) this key may use; empty means all
 * @param expiresAt when the key stops working, or null for never (also used for a rotation's grace period)
 * @param metadata  the admin's labels for the key (string values), which routing rules can match on
 * @param logging   request-log settings over the team's, or null
 */
public record VirtualKeyConfig(
    String id,
    String name,
    String teamId,
    String keyHash,
    String keyPrefix,
    List<String> models,
    BudgetConfig budget,
    RateLimitConfig rateLimit,
    CacheConfig cache,
    Instant expiresAt,
    Map<String, String> metadata,
    LoggingConfig logging) {

  public VirtualKeyConfig {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(teamId, "teamId");
    Objects.requireNonNull(keyHash, "keyHash");
    models = models == null ? List.of() : models.stream().sorted().toList();
    metadata = metadata == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(metadata));
  }

  /** A key without request-log settings of its own. */
  public VirtualKeyConfig(String id, String name, String teamId, String keyHash, String keyPrefix,
      List<String> models, BudgetConfig budget, RateLimitConfig rateLimit, CacheConfig cache, Instant expiresAt,
      Map<String, String> metadata) {
    this(id, name, teamId, keyHash, keyPrefix, models, budget, rateLimit, cache, expiresAt, metadata, null);
  }

  /** A key without metadata. */
  public VirtualKeyConfig(String id, String name, String teamId, String keyHash, String keyPrefix,
      List<String> models, BudgetConfig budget, RateLimitConfig rateLimit, CacheConfig cache, Instant expiresAt) {
    this(id, name, teamId, keyHash, keyPrefix, models, budget, rateLimit, cache, expiresAt, null, null);
  }

  /** True when the key may still be used at {@code now}. */
  public boolean isUsableAt(Instant now) {
    return expiresAt == null || now.isBefore(expiresAt);
  }
}
