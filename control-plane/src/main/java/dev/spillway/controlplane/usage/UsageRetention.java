package dev.spillway.controlplane.usage;

import dev.spillway.controlplane.SpillwayProperties;
import dev.spillway.controlplane.common.MonthlyPartitions;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Keeps the usage tables in shape: monthly partitions of {@code usage_events} exist ahead of time (at start and
 * daily), and usage older than the retention ({@code SPILLWAY_USAGE_RETENTION_DAYS}, default 90) goes, daily.
 *
 * <ul>
 *   <li>Events: a monthly partition is dropped once all of it is older than the retention (cheap, no vacuum), so an
 *       event is kept at least the retention and at most a month longer; older rows in the default partition
 *       (months that had no partition) are deleted.</li>
 *   <li>Hourly rollups are not deleted: budgets with period {@code total} never reset and add up every rollup
 *       ever recorded, so deleting old ones would hand spent money back. Instead rollups older than
 *       {@link #ROLLUP_HOURLY_DAYS} days (or the retention, if longer) are folded into one row per month (hour =
 *       the month's first hour, UTC), which keeps every sum exact and the table small (about one row per key and
 *       model and month); only hourly and daily views of that distant past lose their detail.</li>
 * </ul>
 *
 * <p>Every replica runs the job; a PostgreSQL advisory lock lets one of them do it and the others skip. The lock is
 * held by a transaction that stays open for the run while each step commits on its own (short transactions, so a
 * partition's drop does not hold back ingestion for the whole run).
 */
@Component
public class UsageRetention {
  private static final Logger log = LoggerFactory.getLogger(UsageRetention.class);
  /** The advisory lock of this job, an arbitrary constant that no other job uses. */
  static final long LOCK_KEY = 0x5357_5553_4147_4531L;
  /** Monthly partitions that exist beyond the current month. */
  static final int MONTHS_AHEAD = 2;
  /** Hourly rollups younger than this keep their hours (a year and a bit, for year-on-year views). */
  static final int ROLLUP_HOURLY_DAYS = 400;

  /** What a run did; {@code ran} is false when another replica held the lock. */
  public record Result(boolean ran, List<String> droppedPartitions, int defaultRowsDeleted, int rollupsFolded) {
    static Result skipped() {
      return new Result(false, List.of(), 0, 0);
    }
  }

  private final JdbcClient jdbc;
  private final TransactionTemplate lockTx;
  private final TransactionTemplate stepTx;
  private final int retentionDays;

  public UsageRetention(JdbcClient jdbc, PlatformTransactionManager txm, SpillwayProperties props) {
    this.jdbc = jdbc;
    this.lockTx = new TransactionTemplate(txm);
    this.stepTx = new TransactionTemplate(txm);
    this.stepTx.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
    this.retentionDays = props.usageRetentionDays();
  }

  @EventListener(ApplicationReadyEvent.class)
  void atStart() {
    try {
      ensurePartitions();
    } catch (RuntimeException e) {
      // Events still land (in the default partition); the daily run tries again.
      log.warn("could not create the usage partitions ahead: {}", e.getMessage());
    }
  }

  @Scheduled(cron = "${spillway.usage-purge-cron:0 17 3 * * *}", zone = "UTC")
  void daily() {
    try {
      Result r = purge(Instant.now());
      if (r.ran() && (!r.droppedPartitions().isEmpty() || r.defaultRowsDeleted() > 0 || r.rollupsFolded() > 0)) {
        log.info("usage retention ({} days): dropped partitions {}, deleted {} old events from the default "
            + "partition, folded {} hourly rollups into months", retentionDays, r.droppedPartitions(),
            r.defaultRowsDeleted(), r.rollupsFolded());
      }
    } catch (RuntimeException e) {
      log.warn("usage retention failed, will run again tomorrow: {}", e.getMessage());
    }
  }

  /** Creates this month's partitions and the next ones; false when another replica is at it. */
  public boolean ensurePartitions() {
    return Boolean.TRUE.equals(lockTx.execute(status -> {
      if (!tryLock()) {
        return false;
      }
      step(this::createPartitions);
      return true;
    }));
  }

  /** One run of the daily job as of {@code now}. */
  public Result purge(Instant now) {
    Instant eventCutoff = now.minus(Duration.ofDays(retentionDays));
    Instant rollupCutoff = now.minus(Duration.ofDays(Math.max(retentionDays, ROLLUP_HOURLY_DAYS)));
    return lockTx.execute(status -> {
      if (!tryLock()) {
        return Result.skipped();
      }
      step(this::createPartitions);
      int deleted = step(() -> jdbc.sql("DELETE FROM usage_events_default WHERE occurred_at < ?")
          .param(Timestamp.from(eventCutoff)).update());
      int folded = step(() -> foldRollups(rollupCutoff));
      List<String> expired = step(() -> MonthlyPartitions.endingBy(jdbc, "usage_events", eventCutoff));
      for (String partition : expired) {
        step(() -> jdbc.sql("DROP TABLE " + MonthlyPartitions.quoted(partition)).update());
      }
      return new Result(true, expired, deleted, folded);
    });
  }

  private boolean tryLock() {
    return Boolean.TRUE.equals(jdbc.sql("SELECT pg_try_advisory_xact_lock(?)").param(LOCK_KEY)
        .query(Boolean.class).single());
  }

  private <T> T step(Supplier<T> work) {
    return stepTx.execute(status -> work.get());
  }

  private Integer createPartitions() {
    jdbc.sql("SELECT spillway_ensure_partitions(?)").param(MONTHS_AHEAD).query(rs -> {});
    return 0;
  }


  /** Folds hourly rollups older than {@code cutoff} into their month's first hour; answers how many were folded. */
  private Integer foldRollups(Instant cutoff) {
    return jdbc.sql("""
            WITH old AS (
              DELETE FROM usage_hourly
              WHERE hour < ? AND hour <> date_trunc('month', hour, 'UTC')
              RETURNING *
            ),
            merged AS (
              INSERT INTO usage_hourly AS h (hour, key_id, provider, model, org_id, team_id, requests, errors,
                                             input_tokens, output_tokens, cached_input_tokens, reasoning_tokens,
                                             cost_usd, cache_hits, latency_ms_sum, unpriced_requests,
                                             shadow_refusals, refusals, cache_saved_usd, cache_saved_input_tokens,
                                             cache_saved_output_tokens, cache_lookups, cache_shadow_hits,
                                             cache_semantic_hits, cache_shadow_lookups)
              SELECT date_trunc('month', hour, 'UTC'), key_id, provider, model, (array_agg(org_id))[1],
                     (array_agg(team_id))[1], sum(requests), sum(errors), sum(input_tokens), sum(output_tokens),
                     sum(cached_input_tokens), sum(reasoning_tokens), sum(cost_usd), sum(cache_hits),
                     sum(latency_ms_sum), sum(unpriced_requests), sum(shadow_refusals), sum(refusals),
                     sum(cache_saved_usd), sum(cache_saved_input_tokens), sum(cache_saved_output_tokens),
                     sum(cache_lookups), sum(cache_shadow_hits), sum(cache_semantic_hits),
                     sum(cache_shadow_lookups)
              FROM old
              GROUP BY 1, 2, 3, 4
              ORDER BY 1, 2, 3, 4
""" + UsageHourly.ADD_ON_CONFLICT + """
            )
            SELECT count(*) FROM old""")
        .param(Timestamp.from(cutoff)).query(Integer.class).single();
  }

}
