package dev.spillway.config;

import java.util.Objects;

/** A team: owner of virtual keys, with its own budget, rate limit and cache defaults (all optional). */
public record TeamConfig(String id, String name, BudgetConfig budget, RateLimitConfig rateLimit, CacheConfig cache) {
  public TeamConfig {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
  }
}
