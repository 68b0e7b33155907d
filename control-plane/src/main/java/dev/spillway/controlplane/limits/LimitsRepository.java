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

  /** Removes the budgets and rate limits of all these scopes. */
  void deleteAll(Scope scope, java.util.Collection<UUID> ids);

  /**
   * {@link #putBudget} for many scopes at once (a null value removes): a few set-based statements, so that a
   * restore of 100,000 keys does not cost 100,000 round trips.
   */
  void putBudgets(Scope scope, Map<UUID, BudgetConfig> budgets);

  /**
   * {@link #putRateLimit} for many scopes at once, set-based like {@link #putBudgets}; a null value, or one that
   * sets no limit at all, removes.
   */
  void putRateLimits(Scope scope, Map<UUID, RateLimitConfig> rateLimits);

  Map<UUID, BudgetConfig> allBudgets(Scope scope);

  Map<UUID, RateLimitConfig> allRateLimits(Scope scope);

  Map<UUID, BudgetConfig> budgetsOf(Scope scope, java.util.Collection<UUID> ids);

  Map<UUID, RateLimitConfig> rateLimitsOf(Scope scope, java.util.Collection<UUID> ids);
}
