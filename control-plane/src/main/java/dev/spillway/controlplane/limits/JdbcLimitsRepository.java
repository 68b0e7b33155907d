package dev.spillway.controlplane.limits;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.BudgetPeriod;
import dev.spillway.config.OnUnreachable;
import dev.spillway.config.RateLimitConfig;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class JdbcLimitsRepository implements LimitsRepository {
  private static final String BUDGET = "limit_usd, period, enforce, on_unreachable";
  private static final String RATE_LIMIT = "rpm, tpm, max_concurrent, enforce";

  private final JdbcClient jdbc;

  JdbcLimitsRepository(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public Optional<BudgetConfig> findBudget(Scope scope, UUID id) {
    return jdbc.sql("SELECT " + BUDGET + " FROM budgets WHERE scope_type = ? AND scope_id = ?")
        .params(scope.dbName(), id).query((rs, i) -> budget(rs)).optional();
  }

  @Override
  public Optional<RateLimitConfig> findRateLimit(Scope scope, UUID id) {
    return jdbc.sql("SELECT " + RATE_LIMIT + " FROM rate_limits WHERE scope_type = ? AND scope_id = ?")
        .params(scope.dbName(), id).query((rs, i) -> rateLimit(rs)).optional();
  }

  @Override
  public void putBudget(Scope scope, UUID id, BudgetConfig budget) {
    if (budget == null) {
      jdbc.sql("DELETE FROM budgets WHERE scope_type = ? AND scope_id = ?").params(scope.dbName(), id).update();
      return;
    }
    jdbc.sql("""
        INSERT INTO budgets (scope_type, scope_id, limit_usd, period, enforce, on_unreachable)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (scope_type, scope_id)
        DO UPDATE SET limit_usd = excluded.limit_usd, period = excluded.period, enforce = excluded.enforce,
                      on_unreachable = excluded.on_unreachable, updated_at = now()""")
        .params(scope.dbName(), id, budget.limitUsd(), budget.period().wireName(), budget.enforce(),
            budget.onUnreachable().wireName())
        .update();
  }

  @Override
  public void putRateLimit(Scope scope, UUID id, RateLimitConfig rateLimit) {
    if (rateLimit == null) {
      jdbc.sql("DELETE FROM rate_limits WHERE scope_type = ? AND scope_id = ?").params(scope.dbName(), id).update();
      return;
    }
    jdbc.sql("""
        INSERT INTO rate_limits (scope_type, scope_id, rpm, tpm, max_concurrent, enforce) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (scope_type, scope_id)
        DO UPDATE SET rpm = excluded.rpm, tpm = excluded.tpm, max_concurrent = excluded.max_concurrent,
                      enforce = excluded.enforce, updated_at = now()""")
        .params(scope.dbName(), id, rateLimit.rpm(), rateLimit.tpm(), rateLimit.maxConcurrent(), rateLimit.enforce())
        .update();
  }

  @Override
  public void deleteAll(Scope scope, UUID id) {
    putBudget(scope, id, null);
    putRateLimit(scope, id, null);
  }

  @Override
  public void deleteAll(Scope scope, Collection<UUID> ids) {
    if (ids.isEmpty()) {
      return;
    }
    UUID[] array = ids.toArray(UUID[]::new);
    jdbc.sql("DELETE FROM budgets WHERE scope_type = ? AND scope_id = ANY(?)").params(scope.dbName(), array).update();
    jdbc.sql("DELETE FROM rate_limits WHERE scope_type = ? AND scope_id = ANY(?)").params(scope.dbName(), array)
        .update();
  }

  @Override
  public void putBudgets(Scope scope, Map<UUID, BudgetConfig> budgets) {
    if (budgets.isEmpty()) {
      return;
    }
    jdbc.sql("DELETE FROM budgets WHERE scope_type = ? AND scope_id = ANY(?)")
        .params(scope.dbName(), budgets.keySet().toArray(UUID[]::new)).update();
    List<Map.Entry<UUID, BudgetConfig>> set = budgets.entrySet().stream().filter(e -> e.getValue() != null).toList();
    if (set.isEmpty()) {
      return;
    }
    // Arrays in, one INSERT out; numbers travel as text so that no precision is lost on the way.
    jdbc.sql("""
        INSERT INTO budgets (scope_type, scope_id, limit_usd, period, enforce, on_unreachable)
        SELECT ?, id, limit_usd::numeric, period, enforce, on_unreachable
        FROM unnest(?::uuid[], ?::text[], ?::text[], ?::boolean[], ?::text[])
             AS x(id, limit_usd, period, enforce, on_unreachable)""")
        .params(scope.dbName(), set.stream().map(Map.Entry::getKey).toArray(UUID[]::new),
            set.stream().map(e -> e.getValue().limitUsd().toPlainString()).toArray(String[]::new),
            set.stream().map(e -> e.getValue().period().wireName()).toArray(String[]::new),
            set.stream().map(e -> e.getValue().enforce()).toArray(Boolean[]::new),
            set.stream().map(e -> e.getValue().onUnreachable().wireName()).toArray(String[]::new))
        .update();
  }

  @Override
  public void putRateLimits(Scope scope, Map<UUID, RateLimitConfig> rateLimits) {
    if (rateLimits.isEmpty()) {
      return;
    }
    jdbc.sql("DELETE FROM rate_limits WHERE scope_type = ? AND scope_id = ANY(?)")
        .params(scope.dbName(), rateLimits.keySet().toArray(UUID[]::new)).update();
    List<Map.Entry<UUID, RateLimitConfig>> set = rateLimits.entrySet().stream()
        .filter(e -> e.getValue() != null && !unlimited(e.getValue())).toList();
    if (set.isEmpty()) {
      return;
    }
    jdbc.sql("""
        INSERT INTO rate_limits (scope_type, scope_id, rpm, tpm, max_concurrent, enforce)
        SELECT ?, id, rpm, tpm, max_concurrent, enforce
        FROM unnest(?::uuid[], ?::int[], ?::int[], ?::int[], ?::boolean[])
             AS x(id, rpm, tpm, max_concurrent, enforce)""")
        .params(scope.dbName(), set.stream().map(Map.Entry::getKey).toArray(UUID[]::new),
            set.stream().map(e -> e.getValue().rpm()).toArray(Integer[]::new),
            set.stream().map(e -> e.getValue().tpm()).toArray(Integer[]::new),
            set.stream().map(e -> e.getValue().maxConcurrent()).toArray(Integer[]::new),
            set.stream().map(e -> e.getValue().enforce()).toArray(Boolean[]::new))
        .update();
  }

  @Override
  public Map<UUID, BudgetConfig> allBudgets(Scope scope) {
    Map<UUID, BudgetConfig> result = new HashMap<>();
    jdbc.sql("SELECT scope_id, " + BUDGET + " FROM budgets WHERE scope_type = ?").param(scope.dbName())
        .query(rs -> {
          result.put(rs.getObject("scope_id", UUID.class), budget(rs));
        });
    return result;
  }

  @Override
  public Map<UUID, RateLimitConfig> allRateLimits(Scope scope) {
    Map<UUID, RateLimitConfig> result = new HashMap<>();
    jdbc.sql("SELECT scope_id, " + RATE_LIMIT + " FROM rate_limits WHERE scope_type = ?").param(scope.dbName())
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
    jdbc.sql("SELECT scope_id, " + BUDGET + " FROM budgets WHERE scope_type = ? AND scope_id = ANY(?)")
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
    jdbc.sql("SELECT scope_id, " + RATE_LIMIT + " FROM rate_limits WHERE scope_type = ? AND scope_id = ANY(?)")
        .params(scope.dbName(), ids.toArray(UUID[]::new))
        .query(rs -> {
          result.put(rs.getObject("scope_id", UUID.class), rateLimit(rs));
        });
    return result;
  }

  private static boolean unlimited(RateLimitConfig r) {
    return r.rpm() == null && r.tpm() == null && r.maxConcurrent() == null;
  }

  private static BudgetConfig budget(ResultSet rs) throws SQLException {
    return new BudgetConfig(rs.getBigDecimal("limit_usd"), BudgetPeriod.find(rs.getString("period")).orElseThrow(),
        rs.getBoolean("enforce"), OnUnreachable.find(rs.getString("on_unreachable")).orElseThrow());
  }

  private static RateLimitConfig rateLimit(ResultSet rs) throws SQLException {
    return new RateLimitConfig((Integer) rs.getObject("rpm"), (Integer) rs.getObject("tpm"),
        (Integer) rs.getObject("max_concurrent"), rs.getBoolean("enforce"));
  }
}
