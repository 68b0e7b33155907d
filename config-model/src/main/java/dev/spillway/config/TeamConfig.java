package dev.spillway.config;

import java.util.Objects;

/**
 * A team: owner of virtual keys, with its own budget, rate limit, cache and request-log defaults (all optional).
 */
public record TeamConfig(String id, String name, BudgetConfig budget, RateLimitConfig rateLimit, CacheConfig cache,
    LoggingConfig logging) {
  public TeamConfig {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
  }

  /** A team without request-log settings (the defaults apply). */
  public TeamConfig(String id, String name, BudgetConfig budget, RateLimitConfig rateLimit, CacheConfig cache) {
    this(id, name, budget, rateLimit, cache, null);
  }
}
