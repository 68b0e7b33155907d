package dev.spillway.controlplane.alert;

import dev.spillway.config.BudgetPeriod;
import dev.spillway.controlplane.limits.Scope;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class JdbcBudgetAlertRepository implements BudgetAlertRepository {
  private static final String COLUMNS = "id, scope_type, scope_id, scope_name, team_id, period, period_start, "
      + "threshold_percent, limit_usd, spent_usd, enforce, fired_at, delivery_state, delivery_attempts, "
      + "next_attempt_at, delivered_at, last_error";

  private final JdbcClient jdbc;

  JdbcBudgetAlertRepository(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public Set<AlertKey> fired(Scope scopeType, Collection<UUID> scopeIds, Collection<Instant> periodStarts) {
    Set<AlertKey> fired = new HashSet<>();
    if (scopeIds.isEmpty() || periodStarts.isEmpty()) {
      return fired;
    }
    jdbc.sql("SELECT scope_id, period_start, threshold_percent FROM budget_alerts WHERE scope_type = ? "
            + "AND scope_id = ANY(?) AND period_start = ANY(?)")
        .params(scopeType.dbName(), scopeIds.toArray(UUID[]::new),
            periodStarts.stream().map(Timestamp::from).toArray(Timestamp[]::new))
        .query(rs -> {
          fired.add(new AlertKey(scopeType, rs.getObject(1, UUID.class), rs.getTimestamp(2).toInstant(),
              rs.getInt(3)));
        });
    return fired;
  }

  @Override
  public boolean insertIfNew(BudgetAlert a) {
    // The unique key decides: of several replicas or checks that see the same crossing, one stores it.
    return jdbc.sql("INSERT INTO budget_alerts (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            + "?, ?, ?) ON CONFLICT (scope_type, scope_id, period_start, threshold_percent) DO NOTHING")
        .params(a.id(), a.scopeType().dbName(), a.scopeId(), a.scopeName(), a.teamId(), a.period().wireName(),
            Timestamp.from(a.periodStart()), a.thresholdPercent(), a.limitUsd(), a.spentUsd(), a.enforce(),
            Timestamp.from(a.firedAt()), a.delivery().wireName(), a.deliveryAttempts(), timestamp(a.nextAttemptAt()),
            timestamp(a.deliveredAt()), a.lastError())
        .update() == 1;
  }

  @Override
  public List<BudgetAlert> find(Filter f) {
    StringBuilder where = new StringBuilder("true");
    List<Object> params = new ArrayList<>();
    if (f.visibleTeams() != null) {
      where.append(" AND team_id = ANY(?)");
      params.add(f.visibleTeams().toArray(UUID[]::new));
    }
    if (f.teamId() != null) {
      where.append(" AND team_id = ?");
      params.add(f.teamId());
    }
    if (f.scopeType() != null) {
      where.append(" AND scope_type = ?");
      params.add(f.scopeType().dbName());
    }
    if (f.scopeIds() != null) {
      where.append(" AND scope_id = ANY(?)");
      params.add(f.scopeIds().toArray(UUID[]::new));
    }
    if (f.periodStarts() != null) {
      where.append(" AND period_start = ANY(?)");
      params.add(f.periodStarts().stream().map(Timestamp::from).toArray(Timestamp[]::new));
    }
    params.add(f.limit());
    return jdbc.sql("SELECT " + COLUMNS + " FROM budget_alerts WHERE " + where
            + " ORDER BY fired_at DESC, threshold_percent DESC LIMIT ?")
        .params(params).query((rs, i) -> alert(rs)).list();
  }

  @Override
  public List<BudgetAlert> claimDue(Instant now, Instant leaseUntil, int limit) {
    return jdbc.sql("""
            UPDATE budget_alerts SET delivery_attempts = delivery_attempts + 1, next_attempt_at = ?
            WHERE id IN (SELECT id FROM budget_alerts
                         WHERE delivery_state = 'pending' AND next_attempt_at <= ?
                         ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED)
            RETURNING\s""" + COLUMNS)
        .params(Timestamp.from(leaseUntil), Timestamp.from(now), limit).query((rs, i) -> alert(rs)).list();
  }

  @Override
  public boolean delivered(UUID id, int attempt, Instant at) {
    return jdbc.sql("UPDATE budget_alerts SET delivery_state = 'delivered', delivered_at = ?, next_attempt_at = NULL, "
            + "last_error = NULL WHERE id = ? AND delivery_attempts = ? AND delivery_state = 'pending'")
        .params(Timestamp.from(at), id, attempt).update() == 1;
  }

  @Override
  public boolean attemptFailed(UUID id, int attempt, String error, Instant retryAt) {
    return jdbc.sql("UPDATE budget_alerts SET delivery_state = ?, next_attempt_at = ?, last_error = ? "
            + "WHERE id = ? AND delivery_attempts = ? AND delivery_state = 'pending'")
        .params(retryAt == null ? "failed" : "pending", timestamp(retryAt), error, id, attempt).update() == 1;
  }

  private static Timestamp timestamp(Instant t) {
    return t == null ? null : Timestamp.from(t);
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }

  private static BudgetAlert alert(ResultSet rs) throws SQLException {
    return new BudgetAlert(rs.getObject("id", UUID.class), Scope.ofDbName(rs.getString("scope_type")),
        rs.getObject("scope_id", UUID.class), rs.getString("scope_name"), rs.getObject("team_id", UUID.class),
        BudgetPeriod.find(rs.getString("period")).orElseThrow(), instant(rs, "period_start"),
        rs.getInt("threshold_percent"), rs.getBigDecimal("limit_usd"), rs.getBigDecimal("spent_usd"),
        rs.getBoolean("enforce"), instant(rs, "fired_at"),
        BudgetAlert.Delivery.ofWireName(rs.getString("delivery_state")), rs.getInt("delivery_attempts"),
        instant(rs, "next_attempt_at"), instant(rs, "delivered_at"), rs.getString("last_error"));
  }
}
