package dev.spillway.controlplane.limits;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.RateLimitConfig;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Budgets and rate limits by scope: at most one of each per organisation, team or key. */
public interface LimitsRepository {
  Optional<BudgetConfig> findBudget(Scope scope, UUID id);

  Optional<RateLimitConfig> findRateLimit(Scope scope, UUID id);

  /** Sets or (with null) removes the budget. */
  void putBudget(Scope scope, UUID id, BudgetConfig budget);

  /** Sets or (with null) removes the rate limit. */
  void putRateLimit(Scope scope, UUID id, RateLimitConfig rateLimit);

  void deleteAll(Scope scope, UUID id);

  Map<UUID, BudgetConfig> allBudgets(Scope scope);

  Map<UUID, RateLimitConfig> allRateLimits(Scope scope);

  Map<UUID, BudgetConfig> budgetsOf(Scope scope, java.util.Collection<UUID> ids);

  Map<UUID, RateLimitConfig> rateLimitsOf(Scope scope, java.util.Collection<UUID> ids);
}
