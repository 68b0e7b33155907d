package dev.spillway.controlplane.limits;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.BudgetPeriod;
import dev.spillway.config.RateLimitConfig;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class JdbcLimitsRepository implements LimitsRepository {
  private final JdbcClient jdbc;

  JdbcLimitsRepository(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public Optional<BudgetConfig> findBudget(Scope scope, UUID id) {
    return jdbc.sql("SELECT limit_usd, period FROM budgets WHERE scope_type = ? AND scope_id = ?")
        .params(scope.dbName(), id).query((rs, i) -> budget(rs)).optional();
  }

  @Override
  public Optional<RateLimitConfig> findRateLimit(Scope scope, UUID id) {
    return jdbc.sql("SELECT rpm, tpm, max_concurrent FROM rate_limits WHERE scope_type = ? AND scope_id = ?")
        .params(scope.dbName(), id).query((rs, i) -> rateLimit(rs)).optional();
  }

  @Override
  public void putBudget(Scope scope, UUID id, BudgetConfig budget) {
    if (budget == null) {
      jdbc.sql("DELETE FROM budgets WHERE scope_type = ? AND scope_id = ?").params(scope.dbName(), id).update();
      return;
    }
    jdbc.sql("""
        INSERT INTO budgets (scope_type, scope_id, limit_usd, period) VALUES (?, ?, ?, ?)
        ON CONFLICT (scope_type, scope_id)
        DO UPDATE SET limit_usd = excluded.limit_usd, period = excluded.period, updated_at = now()""")
        .params(scope.dbName(), id, budget.limitUsd(), budget.period().wireName()).update();
  }

  @Override
  public void putRateLimit(Scope scope, UUID id, RateLimitConfig rateLimit) {
    if (rateLimit == null) {
      jdbc.sql("DELETE FROM rate_limits WHERE scope_type = ? AND scope_id = ?").params(scope.dbName(), id).update();
      return;
    }
    jdbc.sql("""
        INSERT INTO rate_limits (scope_type, scope_id, rpm, tpm, max_concurrent) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (scope_type, scope_id)
        DO UPDATE SET rpm = excluded.rpm, tpm = excluded.tpm, max_concurrent = excluded.max_concurrent,
                      updated_at = now()""")
        .params(scope.dbName(), id, rateLimit.rpm(), rateLimit.tpm(), rateLimit.maxConcurrent()).update();
  }

  @Override
  public void deleteAll(Scope scope, UUID id) {
    putBudget(scope, id, null);
    putRateLimit(scope, id, null);
  }

  @Override
  public Map<UUID, BudgetConfig> allBudgets(Scope scope) {
    Map<UUID, BudgetConfig> result = new HashMap<>();
    jdbc.sql("SELECT scope_id, limit_usd, period FROM budgets WHERE scope_type = ?").param(scope.dbName())
        .query(rs -> {
          result.put(rs.getObject("scope_id", UUID.class), budget(rs));
        });
    return result;
  }

  @Override
  public Map<UUID, RateLimitConfig> allRateLimits(Scope scope) {
    Map<UUID, RateLimitConfig> result = new HashMap<>();
    jdbc.sql("SELECT scope_id, rpm, tpm, max_concurrent FROM rate_limits WHERE scope_type = ?").param(scope.dbName())
        .query(rs -> {
          result.put(rs.getObject("scope_id", UUID.class), rateLimit(rs));
        });
    return result;
  }

  @Override
  public Map<UUID, BudgetConfig> budgetsOf(Scope scope, java.util.Collection<UUID> ids) {
    Map<UUID, BudgetConfig> result = new HashMap<>();
    if (ids.isEmpty()) {
      return result;
    }
    jdbc.sql("SELECT scope_id, limit_usd, period FROM budgets WHERE scope_type = ? AND scope_id = ANY(?)")
        .params(scope.dbName(), ids.toArray(UUID[]::new))
        .query(rs -> {
          result.put(rs.getObject("scope_id", UUID.class), budget(rs));
        });
    return result;
  }

  @Override
  public Map<UUID, RateLimitConfig> rateLimitsOf(Scope scope, java.util.Collection<UUID> ids) {
    Map<UUID, RateLimitConfig> result = new HashMap<>();
    if (ids.isEmpty()) {
      return result;
    }
    jdbc.sql("SELECT scope_id, rpm, tpm, max_concurrent FROM rate_limits WHERE scope_type = ? AND scope_id = ANY(?)")
        .params(scope.dbName(), ids.toArray(UUID[]::new))
        .query(rs -> {
          result.put(rs.getObject("scope_id", UUID.class), rateLimit(rs));
        });
    return result;
  }

  private static BudgetConfig budget(ResultSet rs) throws SQLException {
    return new BudgetConfig(rs.getBigDecimal("limit_usd"), BudgetPeriod.find(rs.getString("period")).orElseThrow());
  }

  private static RateLimitConfig rateLimit(ResultSet rs) throws SQLException {
    return new RateLimitConfig((Integer) rs.getObject("rpm"), (Integer) rs.getObject("tpm"),
        (Integer) rs.getObject("max_concurrent"));
  }
}
