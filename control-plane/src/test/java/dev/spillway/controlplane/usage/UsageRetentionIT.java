package dev.spillway.controlplane.usage;

import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.usage.UsageLine.batch;
import static dev.spillway.controlplane.usage.UsageLine.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The daily usage retention with the default 90 days: expired monthly partitions are dropped and old events
 * deleted, recent ones stay; old hourly rollups are folded into months with their sums intact; one replica at a
 * time.
 */
class UsageRetentionIT extends ControlPlaneIntegrationTest {
  @Autowired
  UsageRetention retention;

  @Autowired
  DataSource dataSource;

  private void store(UsageLine... lines) {
    assertStatus(node().send("POST", "/internal/v1/usage", "application/x-ndjson", batch(lines)), 200);
  }

  private boolean eventExists(String requestId) {
    return jdbc.sql("SELECT count(*) FROM usage_events WHERE request_id = ?").param(requestId).query(Long.class)
        .single() > 0;
  }

  private boolean tableExists(String name) {
    return jdbc.sql("SELECT to_regclass(?) IS NOT NULL").param(name).query(Boolean.class).single();
  }

  /** The team's rollups as hour -> requests. */
  private Map<Instant, Long> rollupHours(UUID team) {
    Map<Instant, Long> hours = new java.util.TreeMap<>();
    jdbc.sql("SELECT hour, requests FROM usage_hourly WHERE team_id = ?").param(team)
        .query(rs -> {
          hours.merge(rs.getTimestamp(1).toInstant(), rs.getLong(2), Long::sum);
        });
    return hours;
  }

  @Test
  void dropsExpiredPartitionsAndOldEventsAndKeepsRecentOnes() {
    UUID team = UUID.fromString(createTeam(unique("retention")).get("id").stringValue());
    UUID key = UUID.randomUUID();
    String p = unique("ret");
    // A month long gone, with a partition of its own (as spillway_ensure_partitions made them then).
    jdbc.sql("CREATE TABLE usage_events_200103 PARTITION OF usage_events "
        + "FOR VALUES FROM ('2001-03-01 00:00:00+00') TO ('2001-04-01 00:00:00+00')").update();
    Instant now = Instant.now();
    Instant partitioned = Instant.parse("2001-03-10T10:20:00.5Z");
    Instant inDefault = Instant.parse("2002-06-01T00:30:00Z");
    Instant justKept = now.minus(Duration.ofDays(89));
    Instant recent = now.minus(Duration.ofHours(1));
    store(event(p + "-partitioned", partitioned).key(team, key), event(p + "-default", inDefault).key(team, key),
        event(p + "-89d", justKept).key(team, key), event(p + "-recent", recent).key(team, key));
    assertThat(jdbc.sql("SELECT tableoid::regclass::text FROM usage_events WHERE request_id = ?")
        .param(p + "-partitioned").query(String.class).single()).isEqualTo("usage_events_200103");

    UsageRetention.Result result = retention.purge(now);

    assertThat(result.ran()).isTrue();
    assertThat(result.droppedPartitions()).contains("usage_events_200103");
    assertThat(tableExists("usage_events_200103")).isFalse();
    assertThat(result.defaultRowsDeleted()).isPositive();
    assertThat(eventExists(p + "-partitioned")).isFalse();
    assertThat(eventExists(p + "-default")).isFalse();
    assertThat(eventExists(p + "-89d")).isTrue();
    assertThat(eventExists(p + "-recent")).isTrue();
    // This month's partition and the next ones stay, however empty.
    String thisMonth = DateTimeFormatter.ofPattern("yyyyMM").format(now.atZone(ZoneOffset.UTC));
    assertThat(tableExists("usage_events_" + thisMonth)).isTrue();
  }

  @Test
  void foldsOldRollupsIntoMonthsKeepingTheirSums() {
    UUID team = UUID.fromString(createTeam(unique("fold")).get("id").stringValue());
    UUID key = UUID.randomUUID();
    String p = unique("fold");
    Instant recent = Instant.now().minus(Duration.ofHours(1));
    store(event(p + "-1", Instant.parse("2003-05-10T10:20:00Z")).key(team, key),
        event(p + "-2", Instant.parse("2003-05-20T23:59:00Z")).key(team, key).shadowRefusal("rate_limit: key rpm 6"),
        event(p + "-3", Instant.parse("2003-05-01T00:10:00Z")).key(team, key).refused("rate_limit_exceeded"),
        event(p + "-4", Instant.parse("2003-06-02T08:00:00Z")).key(team, key),
        event(p + "-5", recent).key(team, key));
    String budgetSpend = "SELECT sum(cost_usd) FROM usage_hourly WHERE team_id = ?";
    var spendBefore = jdbc.sql(budgetSpend).param(team).query(java.math.BigDecimal.class).single();

    UsageRetention.Result result = retention.purge(Instant.now());

    assertThat(result.rollupsFolded()).isGreaterThanOrEqualTo(3);
    assertThat(rollupHours(team)).isEqualTo(Map.of(
        Instant.parse("2003-05-01T00:00:00Z"), 3L,
        Instant.parse("2003-06-01T00:00:00Z"), 1L,
        recent.truncatedTo(ChronoUnit.HOURS), 1L));
    // A "total" budget adds up every rollup ever recorded: folding must not change it.
    assertThat(jdbc.sql(budgetSpend).param(team).query(java.math.BigDecimal.class).single())
        .isEqualByComparingTo(spendBefore);
    assertThat(jdbc.sql("SELECT concat_ws(',', requests, refusals, shadow_refusals) FROM usage_hourly "
        + "WHERE team_id = ? AND hour = '2003-05-01T00:00:00Z'").param(team).query(String.class).single())
        .isEqualTo("3,1,1");
  }

  @Test
  void skipsTheRunWhileAnotherReplicaHoldsTheLock() throws Exception {
    String p = unique("locked");
    store(event(p + "-old", Instant.parse("2004-02-02T02:02:02Z")).key(UUID.randomUUID(), UUID.randomUUID()));

    try (Connection other = dataSource.getConnection();
         PreparedStatement lock = other.prepareStatement("SELECT pg_advisory_lock(?)");
         PreparedStatement unlock = other.prepareStatement("SELECT pg_advisory_unlock(?)")) {
      lock.setLong(1, UsageRetention.LOCK_KEY);
      lock.execute();
      try {
        assertThat(retention.purge(Instant.now()).ran()).isFalse();
        assertThat(retention.ensurePartitions()).isFalse();
        assertThat(eventExists(p + "-old")).isTrue();
      } finally {
        unlock.setLong(1, UsageRetention.LOCK_KEY);
        unlock.execute();
      }
    }

    assertThat(retention.purge(Instant.now()).ran()).isTrue();
    assertThat(eventExists(p + "-old")).isFalse();
  }

  @Test
  void createsMissingPartitionsMovingWaitingEventsIntoThem() {
    Instant inTwoMonths = Instant.now().atZone(ZoneOffset.UTC).withDayOfMonth(1).plusMonths(2).plusDays(3)
        .toInstant();
    String name = "usage_events_" + DateTimeFormatter.ofPattern("yyyyMM").format(inTwoMonths.atZone(ZoneOffset.UTC));
    String p = unique("ahead");
    assertThat(jdbc.sql("SELECT count(*) FROM " + name).query(Long.class).single()).as("fixture: empty").isZero();
    jdbc.sql("DROP TABLE " + name).update();
    // A node whose clock runs ahead: the event waits in the default partition.
    store(event(p, inTwoMonths).key(UUID.randomUUID(), UUID.randomUUID()));
    assertThat(jdbc.sql("SELECT tableoid::regclass::text FROM usage_events WHERE request_id = ?").param(p)
        .query(String.class).single()).isEqualTo("usage_events_default");

    assertThat(retention.ensurePartitions()).isTrue();

    assertThat(tableExists(name)).isTrue();
    assertThat(jdbc.sql("SELECT tableoid::regclass::text FROM usage_events WHERE request_id = ?").param(p)
        .query(String.class).list()).isEqualTo(List.of(name));
  }
}
