package dev.spillway.controlplane.requestlog;

import dev.spillway.config.LoggingConfig;
import dev.spillway.controlplane.common.MonthlyPartitions;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Deletes request logs older than their team's retention ({@code logging.retention_days} of the team, default
 * {@value #DEFAULT_RETENTION_DAYS}), every few minutes. Only the team's setting counts: a key's
 * {@code retention_days} does not change what is purged. Rows without a team, and rows of a team that no longer
 * exists, are kept for the default.
 *
 * <p>Deletes go team by team as ranges of the {@code (team_id, occurred_at)} index, in batches of about
 * {@link #BATCH} rows, each its own short statement (nodes keep ingesting meanwhile), up to
 * {@link #MAX_BATCHES_PER_RUN} batches a run, so a backlog (a team's retention shortened from a year to a week)
 * drains over the next runs. Every replica runs it; two replicas on the same batch cost one of them a short wait on
 * the row locks, after which it finds the rows gone.
 *
 * <p>Deleted rows leave their space to the partition they were in. A monthly partition emptied this way, whose month
 * ended more than {@link #LATE_EVENTS_GRACE} ago (a node's spool may still deliver a late event), is then dropped,
 * which gives its files back to the operating system; a drop waits at most {@link #DROP_LOCK_TIMEOUT} for its lock and
 * is otherwise tried on the next run, so ingestion is never held up behind it.
 */
@Component
public class RequestLogRetention {
  private static final Logger log = LoggerFactory.getLogger(RequestLogRetention.class);
  static final int DEFAULT_RETENTION_DAYS = LoggingConfig.DEFAULT.retentionDays();
  static final int BATCH = 5_000;
  static final int MAX_BATCHES_PER_RUN = 200;
  /** How long after its month a partition may still receive a late event, so is not dropped though empty. */
  static final Duration LATE_EVENTS_GRACE = Duration.ofDays(7);
  static final String DROP_LOCK_TIMEOUT = "2s";

  /** What a run did: rows deleted per team id (rows without a team under null), and the partitions dropped. */
  public record Result(Map<UUID, Long> deletedByTeam, List<String> droppedPartitions) {
    public long total() {
      return deletedByTeam.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  private final JdbcClient jdbc;
  private final TransactionTemplate tx;

  public RequestLogRetention(JdbcClient jdbc, PlatformTransactionManager txm) {
    this.jdbc = jdbc;
    this.tx = new TransactionTemplate(txm);
  }

  @Scheduled(fixedDelayString = "${spillway.request-log-purge-interval-ms:300000}",
      initialDelayString = "${spillway.request-log-purge-interval-ms:300000}")
  void scheduled() {
    try {
      Result result = purge(Instant.now());
      if (result.total() > 0 || !result.droppedPartitions().isEmpty()) {
        log.info("request-log retention deleted {} rows, dropped emptied partitions {}", result.total(),
            result.droppedPartitions());
      }
    } catch (RuntimeException e) {
      log.warn("request-log retention failed, will run again: {}", e.getMessage());
    }
  }

  /** One run as of {@code now}. */
  public Result purge(Instant now) {
    return purge(now, BATCH, MAX_BATCHES_PER_RUN);
  }

  Result purge(Instant now, int batch, int maxBatches) {
    Map<UUID, Integer> retention = teamRetention();
    Map<UUID, Long> deleted = new HashMap<>();
    int budget = maxBatches;
    for (UUID team : teamsWithLogs()) {
      int days = retention.getOrDefault(team, DEFAULT_RETENTION_DAYS);
      budget = purgeTeam(team, now.minus(Duration.ofDays(days)), batch, budget, deleted);
      if (budget == 0) {
        return new Result(deleted, dropEmptiedPartitions(now));
      }
    }
    purgeTeam(null, now.minus(Duration.ofDays(DEFAULT_RETENTION_DAYS)), batch, budget, deleted);
    return new Result(deleted, dropEmptiedPartitions(now));
  }

  /** Drops the monthly partitions that hold no row and whose month ended more than the grace ago. */
  private List<String> dropEmptiedPartitions(Instant now) {
    List<String> dropped = new ArrayList<>();
    for (String partition : MonthlyPartitions.endingBy(jdbc, "request_logs", now.minus(LATE_EVENTS_GRACE))) {
      Boolean gone = tx.execute(status -> {
        jdbc.sql("SET LOCAL lock_timeout = '" + DROP_LOCK_TIMEOUT + "'").update();
        // Under the drop's own lock: a row that arrives meanwhile waits, then finds the default partition.
        jdbc.sql("LOCK TABLE request_logs IN ACCESS EXCLUSIVE MODE").update();
        boolean empty = jdbc.sql("SELECT NOT EXISTS (SELECT 1 FROM " + MonthlyPartitions.quoted(partition) + ")")
            .query(Boolean.class).single();
        if (empty) {
          jdbc.sql("DROP TABLE " + MonthlyPartitions.quoted(partition)).update();
        }
        return empty;
      });
      if (Boolean.TRUE.equals(gone)) {
        dropped.add(partition);
      }
    }
    return dropped;
  }



  /** Deletes {@code team}'s rows older than {@code cutoff}; answers how many batches are left for this run. */
  private int purgeTeam(UUID team, Instant cutoff, int batch, int budget, Map<UUID, Long> deleted) {
    String teamIs = team == null ? "team_id IS NULL" : "team_id = ?";
    while (budget > 0) {
      // A batch is a range of the index: up to the occurred_at of the batch-th oldest row (all of them when fewer
      // are left). Deleting by a list of keys instead makes PostgreSQL scan the team's whole backlog each time.
      var end = jdbc.sql("SELECT occurred_at FROM request_logs WHERE " + teamIs
          + " AND occurred_at < ? ORDER BY occurred_at OFFSET ? LIMIT 1");
      Timestamp upTo = (team == null ? end : end.param(team)).param(Timestamp.from(cutoff)).param(batch - 1)
          .query(Timestamp.class).optional().orElse(null);
      var delete = jdbc.sql("DELETE FROM request_logs WHERE " + teamIs + " AND occurred_at "
          + (upTo == null ? "< ?" : "<= ?"));
      int rows = (team == null ? delete : delete.param(team)).param(upTo == null ? Timestamp.from(cutoff) : upTo)
          .update();
      // Only a batch that deleted counts against the run: a team with nothing to purge costs one index probe, so
      // that a fleet of more teams than batches is still gone through to its end.
      if (rows > 0) {
        deleted.merge(team, (long) rows, Long::sum);
        budget--;
      }
      if (upTo == null) {
        break;
      }
    }
    return budget;
  }

  /** Retention days of the teams that set one. */
  private Map<UUID, Integer> teamRetention() {
    Map<UUID, Integer> days = new HashMap<>();
    jdbc.sql("""
        SELECT id, (logging->>'retention_days')::int AS days FROM teams
        WHERE logging->>'retention_days' IS NOT NULL""")
        .query(rs -> {
          days.put(rs.getObject("id", UUID.class), rs.getInt("days"));
        });
    return days;
  }

  /**
   * The distinct teams that have request logs, those of deleted teams included, by a skip scan of the
   * {@code (team_id, occurred_at)} index: one index probe per team instead of a scan of the table.
   */
  private List<UUID> teamsWithLogs() {
    return jdbc.sql("""
        WITH RECURSIVE t(team_id) AS (
          (SELECT team_id FROM request_logs WHERE team_id IS NOT NULL ORDER BY team_id LIMIT 1)
          UNION ALL
          SELECT (SELECT r.team_id FROM request_logs r WHERE r.team_id > t.team_id ORDER BY r.team_id LIMIT 1)
          FROM t WHERE t.team_id IS NOT NULL)
        SELECT team_id FROM t WHERE team_id IS NOT NULL""")
        .query(UUID.class).list();
  }
}
