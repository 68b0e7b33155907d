package dev.spillway.controlplane.requestlog;

import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The request-log purge over real rows of different ages and teams: each team keeps its own retention, a key's
 * retention changes nothing, rows without a team (or of a team gone since) keep the default 30 days; a run stops
 * after its batches and the next one goes on.
 */
class RequestLogRetentionIT extends ControlPlaneIntegrationTest {
  private static final int[] AGES_DAYS = {1, 6, 8, 29, 31, 89, 91};

  @Autowired
  RequestLogRetention retention;

  private final Instant now = Instant.now();

  /** One row per age for this team (null: no team); answers their request ids in the order of the ages. */
  private List<String> rows(UUID team, UUID key, String label, int... ages) {
    List<String> ids = new ArrayList<>();
    for (int age : ages) {
      String id = unique("req-" + label + "-" + age + "d");
      // An hour more than the whole days, so no row sits on a cutoff.
      jdbc.sql("""
          INSERT INTO request_logs (request_id, occurred_at, team_id, key_id, client_api, status_code)
          VALUES (?, ?, ?, ?, 'chat', 200)""")
          .params(id, Timestamp.from(now.minus(Duration.ofDays(age)).minus(Duration.ofHours(1))), team, key)
          .update();
      ids.add(id);
    }
    return ids;
  }

  private List<String> kept(List<String> ids) {
    return jdbc.sql("SELECT request_id FROM request_logs WHERE request_id = ANY(?)")
        .param(ids.toArray(String[]::new)).query(String.class).list();
  }

  private UUID team(String loggingJson) {
    String body = loggingJson == null ? "{\"name\": \"%s\"}".formatted(unique("purge"))
        : "{\"name\": \"%s\", \"logging\": %s}".formatted(unique("purge"), loggingJson);
    return UUID.fromString(assertStatus(admin().post("/api/v1/teams", body), 201).get("id").stringValue());
  }

  @Test
  void deletesEachTeamsRowsOlderThanItsRetentionAndKeepsTheRest() {
    UUID week = team("{\"retention_days\": 7, \"content\": \"redacted\"}");
    UUID weekKey = UUID.fromString(assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "%s", "logging": {"retention_days": 365}}""".formatted(week)), 201)
        .get("id").stringValue());
    UUID defaults = team(null);
    UUID quarter = team("{\"retention_days\": 90}");
    UUID gone = UUID.randomUUID();
    List<String> weekRows = rows(week, weekKey, "week", AGES_DAYS);
    List<String> defaultRows = rows(defaults, null, "default", AGES_DAYS);
    List<String> quarterRows = rows(quarter, null, "quarter", AGES_DAYS);
    List<String> goneRows = rows(gone, null, "gone", AGES_DAYS);
    List<String> teamlessRows = rows(null, null, "teamless", AGES_DAYS);

    RequestLogRetention.Result result = retention.purge(now, 2, 10_000);

    assertThat(kept(weekRows)).containsExactlyInAnyOrder(weekRows.get(0), weekRows.get(1));
    assertThat(kept(defaultRows)).containsExactlyInAnyOrderElementsOf(defaultRows.subList(0, 4));
    assertThat(kept(quarterRows)).containsExactlyInAnyOrderElementsOf(quarterRows.subList(0, 6));
    assertThat(kept(goneRows)).containsExactlyInAnyOrderElementsOf(goneRows.subList(0, 4));
    assertThat(kept(teamlessRows)).containsExactlyInAnyOrderElementsOf(teamlessRows.subList(0, 4));
    assertThat(result.deletedByTeam()).containsEntry(week, 5L).containsEntry(defaults, 3L)
        .containsEntry(quarter, 1L).containsEntry(gone, 3L);
    assertThat(result.deletedByTeam().get(null)).isGreaterThanOrEqualTo(3L);

    // Nothing older is left, so a second run deletes none of these.
    retention.purge(now, 2, 10_000);
    assertThat(kept(quarterRows)).hasSize(6);
  }

  @Test
  void teamsWithNothingToPurgeDoNotUseUpARun() {
    retention.purge(now, 1_000, 1_000_000);
    // More teams with only fresh rows than the run has batches; the one with old rows still gets its turn.
    // Team ids are random, so the old rows' team comes after most of them in the run's order (which it was not
    // given before a team with nothing to purge stopped costing a batch).
    for (int i = 0; i < 20; i++) {
      rows(team(null), null, "fresh" + i, 0);
    }
    UUID week = team("{\"retention_days\": 7}");
    List<String> old = rows(week, null, "old", 20);

    retention.purge(now, 10, 1);

    assertThat(kept(old)).isEmpty();
  }

  @Test
  void aRunStopsAfterItsBatchesAndTheNextGoesOn() {
    // Other tests' old rows share the table: clear that backlog first, so the batch limit below is spent on this
    // team's rows alone.
    retention.purge(now, 1_000, 1_000_000);
    UUID team = team("{\"retention_days\": 1}");
    List<String> old = rows(team, null, "backlog", 2, 3, 4, 5, 6);
    List<String> fresh = rows(team, null, "fresh", 0);

    RequestLogRetention.Result first = retention.purge(now, 2, 2);

    // Two batches of two rows at most: a fifth row cannot have gone yet.
    assertThat(first.total()).isBetween(1L, 4L);
    assertThat(kept(old)).isNotEmpty();
    retention.purge(now, 2, 1_000);
    assertThat(kept(old)).isEmpty();
    assertThat(kept(fresh)).containsExactlyElementsOf(fresh);
  }

  @Test
  void aMonthlyPartitionEmptiedByThePurgeIsDroppedOnceItsMonthIsWellOver() {
    UUID decade = team("{\"retention_days\": 3650}");
    partition("201901", "2019-01-01", "2019-02-01");
    partition("202002", "2020-02-01", "2020-03-01");
    String expired = insertAt(null, Instant.parse("2019-01-15T12:00:00Z"));
    String longKept = insertAt(decade, Instant.parse("2020-02-10T12:00:00Z"));

    // As of early March 2020: the 2019 row is past the default retention, the February partition holds a row kept
    // for ten years, and an empty partition whose month ended two days ago may still get a late event.
    partition("202003", "2020-03-01", "2020-04-01");
    retention.purge(Instant.parse("2020-04-02T00:00:00Z").minus(Duration.ofDays(30)), 100, 1_000);
    assertThat(kept(List.of(expired))).isEmpty();
    assertThat(partitions()).doesNotContain("request_logs_201901").contains("request_logs_202002",
        "request_logs_202003");

    RequestLogRetention.Result later = retention.purge(Instant.parse("2020-04-09T00:00:00Z"), 100, 1_000);

    assertThat(later.droppedPartitions()).containsExactly("request_logs_202003");
    assertThat(partitions()).contains("request_logs_202002");
    assertThat(kept(List.of(longKept))).containsExactly(longKept);
  }

  private void partition(String month, String from, String to) {
    jdbc.sql("CREATE TABLE IF NOT EXISTS request_logs_%s PARTITION OF request_logs FOR VALUES FROM ('%s') TO ('%s')"
        .formatted(month, from, to)).update();
  }

  private String insertAt(UUID team, Instant at) {
    String id = unique("req-partition");
    jdbc.sql("""
        INSERT INTO request_logs (request_id, occurred_at, team_id, client_api, status_code)
        VALUES (?, ?, ?, 'chat', 200)""").params(id, Timestamp.from(at), team).update();
    return id;
  }

  private List<String> partitions() {
    return jdbc.sql("""
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'request_logs'::regclass""").query(String.class).list();
  }
}
