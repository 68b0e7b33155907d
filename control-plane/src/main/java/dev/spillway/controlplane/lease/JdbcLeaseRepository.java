package dev.spillway.controlplane.lease;

import dev.spillway.controlplane.limits.Scope;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Set-based: a call's windows travel as parallel arrays and each step is one statement, whatever the number of
 * leases in the call. Amounts and times travel as text, so that no precision is lost and no time zone applied.
 */
@Repository
class JdbcLeaseRepository implements LeaseRepository {
  /** Any constant; pg_try_advisory_xact_lock keys are shared by the whole database. "SPLWLEAS" in ASCII. */
  private static final long CLEANUP_LOCK = 0x53504c574c454153L;

  /** The windows of a call as arrays, joined as {@code k(scope_type, scope_id, kind, window_start)}. */
  private static final String KEYS = "unnest(?::text[], ?::uuid[], ?::text[], ?::timestamptz[]) "
      + "AS k(scope_type, scope_id, kind, window_start)";
  private static final String ON_KEY = "x.scope_type = k.scope_type AND x.scope_id = k.scope_id AND x.kind = k.kind "
      + "AND x.window_start = k.window_start";

  private final JdbcClient jdbc;

  JdbcLeaseRepository(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public Instant now() {
    return jdbc.sql("SELECT date_trunc('milliseconds', clock_timestamp())").query(OffsetDateTime.class).single()
        .toInstant();
  }

  @Override
  public void limitLockWait(Duration timeout) {
    jdbc.sql("SELECT set_config('lock_timeout', ?, true)").param(timeout.toMillis() + "ms")
        .query(String.class).single();
  }

  @Override
  public void createMissingCounters(List<CounterSeed> seeds) {
    if (seeds.isEmpty()) {
      return;
    }
    List<LeaseKey> keys = seeds.stream().map(CounterSeed::key).toList();
    // A budget set in the middle of its period starts from what was already spent in it. The CASE runs only the
    // branch of the row's scope, each of which can use an index of usage_hourly. Rows are inserted in key order,
    // the order in which lockCounters locks them, so concurrent calls never wait on each other in a circle.
    jdbc.sql("""
        INSERT INTO limit_counters (scope_type, scope_id, kind, window_start, consumed)
        SELECT k.scope_type, k.scope_id, k.kind, k.window_start,
               CASE WHEN k.kind <> 'budget' THEN 0
                    WHEN k.scope_type = 'key' THEN (SELECT coalesce(sum(u.cost_usd), 0) FROM usage_hourly u
                        WHERE u.key_id = k.scope_id AND u.hour >= k.window_start AND u.hour < k.spend_until)
                    WHEN k.scope_type = 'team' THEN (SELECT coalesce(sum(u.cost_usd), 0) FROM usage_hourly u
                        WHERE u.team_id = k.scope_id AND u.hour >= k.window_start AND u.hour < k.spend_until)
                    ELSE (SELECT coalesce(sum(u.cost_usd), 0) FROM usage_hourly u
                        WHERE u.org_id = k.scope_id AND u.hour >= k.window_start AND u.hour < k.spend_until)
               END
        FROM unnest(?::text[], ?::uuid[], ?::text[], ?::timestamptz[], ?::timestamptz[])
             AS k(scope_type, scope_id, kind, window_start, spend_until)
        WHERE NOT EXISTS (SELECT 1 FROM limit_counters x WHERE %s)
        ORDER BY k.scope_type, k.scope_id, k.kind, k.window_start
        ON CONFLICT DO NOTHING""".formatted(ON_KEY))
        .params(scopeTypes(keys), scopeIds(keys), kinds(keys), windowStarts(keys),
            seeds.stream().map(s -> s.spendUntil() == null ? "infinity" : s.spendUntil().toString())
                .toArray(String[]::new))
        .update();
  }

  @Override
  public Map<LeaseKey, BigDecimal> lockCounters(Collection<LeaseKey> keys) {
    Map<LeaseKey, BigDecimal> consumed = new HashMap<>();
    if (keys.isEmpty()) {
      return consumed;
    }
    // Rows are locked as they leave the sort, so in key order: two calls that share windows lock the shared ones
    // in the same order and cannot deadlock.
    jdbc.sql("""
        SELECT x.scope_type, x.scope_id, x.kind, x.window_start, x.consumed
        FROM limit_counters x JOIN %s ON %s
        ORDER BY x.scope_type, x.scope_id, x.kind, x.window_start
        FOR UPDATE OF x""".formatted(KEYS, ON_KEY))
        .params(keyParams(keys))
        .query(rs -> {
          consumed.put(key(rs), rs.getBigDecimal("consumed"));
        });
    if (consumed.size() != keys.size()) {
      throw new IllegalStateException("locked " + consumed.size() + " of " + keys.size() + " counters");
    }
    return consumed;
  }

  @Override
  public Map<LeaseKey, StoredLease> leasesOf(String nodeId, Collection<LeaseKey> keys) {
    Map<LeaseKey, StoredLease> leases = new HashMap<>();
    if (keys.isEmpty()) {
      return leases;
    }
    jdbc.sql("""
        SELECT x.* FROM limit_leases x JOIN %s ON %s
        WHERE x.node_id = ?""".formatted(KEYS, ON_KEY))
        .params(params(keyParams(keys), nodeId))
        .query(rs -> {
          leases.put(key(rs), lease(rs));
        });
    return leases;
  }

  @Override
  public Map<LeaseKey, List<StoredLease>> liveLeasesOfOthers(String nodeId, Collection<LeaseKey> keys, Instant now) {
    Map<LeaseKey, List<StoredLease>> leases = new HashMap<>();
    if (keys.isEmpty()) {
      return leases;
    }
    jdbc.sql("""
        SELECT x.* FROM limit_leases x JOIN %s ON %s
        WHERE x.node_id <> ? AND x.released_at IS NULL AND x.expires_at > ?::timestamptz""".formatted(KEYS, ON_KEY))
        .params(params(keyParams(keys), nodeId, now.toString()))
        .query(rs -> {
          leases.computeIfAbsent(key(rs), k -> new ArrayList<>()).add(lease(rs));
        });
    return leases;
  }

  @Override
  public void saveLeases(String nodeId, List<LeaseRow> rows) {
    if (rows.isEmpty()) {
      return;
    }
    List<LeaseKey> keys = rows.stream().map(LeaseRow::key).toList();
    jdbc.sql("""
        INSERT INTO limit_leases (node_id, scope_type, scope_id, kind, window_start, granted, used, want, expires_at,
                                  released_at, updated_at)
        SELECT ?, r.scope_type, r.scope_id, r.kind, r.window_start, r.granted, r.used, r.want, r.expires_at,
               r.released_at, now()
        FROM unnest(?::text[], ?::uuid[], ?::text[], ?::timestamptz[], ?::numeric[], ?::numeric[], ?::numeric[],
                    ?::timestamptz[], ?::timestamptz[])
             AS r(scope_type, scope_id, kind, window_start, granted, used, want, expires_at, released_at)
        ORDER BY r.scope_type, r.scope_id, r.kind, r.window_start
        ON CONFLICT (node_id, scope_type, scope_id, kind, window_start) DO UPDATE
        SET granted = excluded.granted, used = excluded.used, want = excluded.want, expires_at = excluded.expires_at,
            released_at = excluded.released_at, updated_at = excluded.updated_at""")
        .params(nodeId, scopeTypes(keys), scopeIds(keys), kinds(keys), windowStarts(keys),
            amounts(rows.stream().map(LeaseRow::granted).toList()),
            amounts(rows.stream().map(LeaseRow::used).toList()),
            amounts(rows.stream().map(LeaseRow::want).toList()),
            rows.stream().map(r -> r.expiresAt().toString()).toArray(String[]::new),
            rows.stream().map(r -> r.releasedAt() == null ? null : r.releasedAt().toString()).toArray(String[]::new))
        .update();
  }

  @Override
  public void saveConsumed(Map<LeaseKey, BigDecimal> consumed) {
    if (consumed.isEmpty()) {
      return;
    }
    List<LeaseKey> keys = new ArrayList<>(consumed.keySet());
    jdbc.sql("""
        UPDATE limit_counters x SET consumed = k.consumed, updated_at = now()
        FROM unnest(?::text[], ?::uuid[], ?::text[], ?::timestamptz[], ?::numeric[])
             AS k(scope_type, scope_id, kind, window_start, consumed)
        WHERE %s""".formatted(ON_KEY))
        .params(scopeTypes(keys), scopeIds(keys), kinds(keys), windowStarts(keys),
            amounts(keys.stream().map(consumed::get).toList()))
        .update();
  }

  @Override
  public boolean tryCleanupLock() {
    return Boolean.TRUE.equals(jdbc.sql("SELECT pg_try_advisory_xact_lock(?)").param(CLEANUP_LOCK)
        .query(Boolean.class).single());
  }

  @Override
  public Deleted deleteStale(Instant minutesBefore, Instant concurrencyBefore) {
    // No grant touches a minute this old (it would be refused), so these need no counter lock.
    int leases = jdbc.sql("""
        DELETE FROM limit_leases WHERE kind IN ('rpm', 'tpm') AND window_start < ?::timestamptz""")
        .param(minutesBefore.toString()).update();
    int counters = jdbc.sql("""
        DELETE FROM limit_counters WHERE kind IN ('rpm', 'tpm') AND window_start < ?::timestamptz""")
        .param(minutesBefore.toString()).update();
    // A node may come back to a concurrency lease at any time; SKIP LOCKED leaves those that a grant is writing.
    leases += jdbc.sql("""
        DELETE FROM limit_leases WHERE ctid IN (
            SELECT ctid FROM limit_leases
            WHERE kind = 'concurrency' AND coalesce(released_at, expires_at) < ?::timestamptz
            FOR UPDATE SKIP LOCKED)""")
        .param(concurrencyBefore.toString()).update();
    return new Deleted(leases, counters);
  }

  private static LeaseKey key(ResultSet rs) throws SQLException {
    String scope = rs.getString("scope_type");
    return new LeaseKey(scope(scope), rs.getObject("scope_id", UUID.class),
        LeaseKind.find(rs.getString("kind")).orElseThrow(), instant(rs, "window_start"));
  }

  private static StoredLease lease(ResultSet rs) throws SQLException {
    return new StoredLease(rs.getString("node_id"), rs.getBigDecimal("granted"), rs.getBigDecimal("used"),
        rs.getBigDecimal("want"), instant(rs, "expires_at"), instant(rs, "released_at"));
  }

  private static Scope scope(String dbName) {
    for (Scope scope : Scope.values()) {
      if (scope.dbName().equals(dbName)) {
        return scope;
      }
    }
    throw new IllegalStateException("unknown scope_type in limit tables: " + dbName);
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }

  private static Object[] keyParams(Collection<LeaseKey> keys) {
    return new Object[] {scopeTypes(keys), scopeIds(keys), kinds(keys), windowStarts(keys)};
  }

  private static Object[] params(Object[] first, Object... more) {
    Object[] all = new Object[first.length + more.length];
    System.arraycopy(first, 0, all, 0, first.length);
    System.arraycopy(more, 0, all, first.length, more.length);
    return all;
  }

  private static String[] scopeTypes(Collection<LeaseKey> keys) {
    return keys.stream().map(k -> k.scopeType().dbName()).toArray(String[]::new);
  }

  private static UUID[] scopeIds(Collection<LeaseKey> keys) {
    return keys.stream().map(LeaseKey::scopeId).toArray(UUID[]::new);
  }

  private static String[] kinds(Collection<LeaseKey> keys) {
    return keys.stream().map(k -> k.kind().wireName()).toArray(String[]::new);
  }

  private static String[] windowStarts(Collection<LeaseKey> keys) {
    return keys.stream().map(k -> k.windowStart().toString()).toArray(String[]::new);
  }

  private static String[] amounts(List<BigDecimal> values) {
    return values.stream().map(BigDecimal::toPlainString).toArray(String[]::new);
  }
}
