package dev.spillway.controlplane.common;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The monthly range partitions of {@code usage_events} and {@code request_logs}, as {@code spillway_ensure_partitions}
 * (db/ migrations) creates them: {@code <table>_YYYYMM}, each from the first of its month to the first of the next.
 */
public final class MonthlyPartitions {
  private MonthlyPartitions() {}

  /** The partitions of {@code parent} whose upper bound is at or before {@code cutoff}, oldest first. */
  public static List<String> endingBy(JdbcClient jdbc, String parent, Instant cutoff) {
    return jdbc.sql("""
            SELECT name FROM (
              SELECT c.relname AS name,
                     (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz
                       AS upper_bound
              FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = ?::regclass
            ) p
            WHERE upper_bound <= ?
            ORDER BY upper_bound""")
        .param(parent).param(Timestamp.from(cutoff)).query(String.class).list();
  }

  /** {@code name} as an SQL identifier, quoted. */
  public static String quoted(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }
}
