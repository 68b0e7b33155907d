package dev.spillway.config;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A virtual key as a node sees it: only the SHA-256 of the secret, never the secret.
 *
 * @param keyHash   lower-case hex SHA-256 of the full key string ({@code sk-sw-…})
 * @param keyPrefix the visible start of the key, for logs and the dashboard
 * @param models    model names (routes or {@code provider/model}) this key may use; empty means all
 * @param expiresAt when the key stops working, or null for never (also used for a rotation's grace period)
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
    Instant expiresAt) {

  public VirtualKeyConfig {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(teamId, "teamId");
    Objects.requireNonNull(keyHash, "keyHash");
    models = models == null ? List.of() : models.stream().sorted().toList();
  }

  /** True when the key may still be used at {@code now}. */
  public boolean isUsableAt(Instant now) {
    return expiresAt == null || now.isBefore(expiresAt);
  }
}
