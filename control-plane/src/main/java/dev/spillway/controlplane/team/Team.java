package dev.spillway.controlplane.team;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.CacheConfig;
import dev.spillway.config.LoggingConfig;
import dev.spillway.config.RateLimitConfig;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A team as stored, with its budget, rate limit, cache and request-log settings. */
public record Team(
    UUID id,
    String name,
    String description,
    BudgetConfig budget,
    RateLimitConfig rateLimit,
    CacheConfig cache,
    LoggingConfig logging,
    Map<String, Object> metadata,
    Instant createdAt,
    Instant updatedAt) {

  public Team {
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
  }
}
