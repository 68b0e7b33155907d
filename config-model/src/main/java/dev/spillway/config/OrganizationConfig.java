package dev.spillway.config;

import java.util.Objects;

/** The organisation at the top of the budget hierarchy (organisation, team, key). */
public record OrganizationConfig(String id, String name, BudgetConfig budget, RateLimitConfig rateLimit) {
  public OrganizationConfig {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
  }
}
