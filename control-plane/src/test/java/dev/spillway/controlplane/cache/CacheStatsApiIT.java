package dev.spillway.controlplane.cache;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.usage.UsageLine.batch;
import static dev.spillway.controlplane.usage.UsageLine.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import dev.spillway.controlplane.usage.UsageLine;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /api/v1/cache/stats}: per team, the numbers the nodes' usage events add up to, over the last 7 days by
 * default; team members see their own teams only.
 */
class CacheStatsApiIT extends ControlPlaneIntegrationTest {

  private static UUID id(JsonNode created) {
    return UUID.fromString(created.get("id").stringValue());
  }

  private void store(List<UsageLine> lines) {
    assertStatus(node().send("POST", "/internal/v1/usage", "application/x-ndjson", batch(lines)), 200);
  }

  /** A team's usage: 2 exact hits, 1 semantic hit, 2 misses, 1 bypass, 3 shadow hits of 4 shadow lookups. */
  private void recordTraffic(UUID team, UUID key, Instant at) {
    String p = unique("stats");
    List<UsageLine> lines = new ArrayList<>();
    lines.add(event(p + "-e1", at).key(team, key).cacheHit("hit-exact", null, 100, 1000, "0.011"));
    lines.add(event(p + "-e2", at).key(team, key).cacheHit("hit-exact", null, 50, 500, "0.0055"));
    lines.add(event(p + "-s1", at).key(team, key).cacheHit("hit-semantic", 0.95f, 10, 100, "0.0011"));
    lines.add(event(p + "-m1", at).key(team, key).cacheStatus("miss").cacheSimilarity(0.49f));
    lines.add(event(p + "-m2", at).key(team, key).cacheStatus("miss"));
    lines.add(event(p + "-b1", at).key(team, key).cacheStatus("bypass"));
    lines.add(event(p + "-h1", at).key(team, key).cacheStatus("shadow-hit").cacheSimilarity(1.0f));
    lines.add(event(p + "-h2", at).key(team, key).cacheStatus("shadow-hit").cacheSimilarity(0.97f));
    lines.add(event(p + "-h3", at).key(team, key).cacheStatus("shadow-hit").cacheSimilarity(0.5f));
    lines.add(event(p + "-h4", at).key(team, key).cacheStatus("shadow-miss").cacheSimilarity(0.52f));
    store(lines);
  }

  private static JsonNode bucket(JsonNode stats, double from) {
    for (JsonNode b : stats.get("similarity_histogram")) {
      if (b.get("from").doubleValue() == from) {
        return b;
      }
    }
    throw new AssertionError("no bucket from " + from + " in " + stats);
  }

  @Test
  void addsUpTheTeamsCacheTrafficOfTheLastSevenDays() {
    UUID team = id(createTeam(unique("stats-team")));
    UUID key = id(createKey(team.toString(), "k"));
    recordTraffic(team, key, Instant.now().minus(Duration.ofHours(2)));
    // Before the default period: not counted.
    recordTraffic(team, key, Instant.now().minus(Duration.ofDays(8)));

    JsonNode data = assertStatus(admin().get("/api/v1/cache/stats?team_id=" + team), 200).get("data");

    assertThat(data).hasSize(1);
    JsonNode s = data.get(0);
    assertThat(s.get("team_id").stringValue()).isEqualTo(team.toString());
    assertThat(s.get("lookups").asLong()).isEqualTo(9);
    assertThat(s.get("hits_exact").asLong()).isEqualTo(2);
    assertThat(s.get("hits_semantic").asLong()).isEqualTo(1);
    assertThat(s.get("hit_rate").doubleValue()).isEqualTo(3.0 / 9);
    assertThat(s.get("shadow_lookups").asLong()).isEqualTo(4);
    assertThat(s.get("shadow_hits").asLong()).isEqualTo(3);
    assertThat(s.get("would_be_hit_rate").doubleValue()).isEqualTo(0.75);
    assertThat(s.get("saved_input_tokens").asLong()).isEqualTo(160);
    assertThat(s.get("saved_output_tokens").asLong()).isEqualTo(1600);
    assertThat(s.get("saved_usd").decimalValue()).isEqualByComparingTo("0.0176");
    JsonNode histogram = s.get("similarity_histogram");
    assertThat(histogram).hasSize(11);
    assertThat(histogram.get(0).get("to").doubleValue()).isEqualTo(0.5);
    assertThat(histogram.get(10).get("from").doubleValue()).isEqualTo(0.95);
    assertThat(histogram.get(10).get("to").doubleValue()).isEqualTo(1.0);
    assertThat(bucket(s, 0.0).get("misses").asLong()).isEqualTo(1);
    assertThat(bucket(s, 0.5).get("shadow").asLong()).isEqualTo(2);
    // 0.95 belongs to the top bucket, and so does 1.0.
    assertThat(bucket(s, 0.95).get("served_hits").asLong()).isEqualTo(1);
    assertThat(bucket(s, 0.95).get("shadow").asLong()).isEqualTo(2);
    assertThat(bucket(s, 0.9).get("shadow").asLong() + bucket(s, 0.9).get("served_hits").asLong()).isZero();

    JsonNode older = assertStatus(admin().get("/api/v1/cache/stats?team_id=" + team + "&from="
        + Instant.now().minus(Duration.ofDays(9)) + "&to=" + Instant.now()), 200).get("data").get(0);
    assertThat(older.get("lookups").asLong()).isEqualTo(18);
  }

  @Test
  void teamMembersSeeTheirOwnTeamsOnly() {
    UUID own = id(createTeam(unique("stats-own")));
    UUID foreign = id(createTeam(unique("stats-foreign")));
    recordTraffic(foreign, id(createKey(foreign.toString(), "k")), Instant.now().minusSeconds(60));
    String teamAdmin = createApiToken("team_admin", own.toString());
    String teamViewer = createApiToken("viewer", own.toString());

    JsonNode mine = assertStatus(bearer(teamAdmin).get("/api/v1/cache/stats"), 200).get("data");

    assertThat(mine.valueStream().map(t -> t.get("team_id").stringValue())).containsExactly(own.toString());
    assertThat(assertStatus(bearer(teamViewer).get("/api/v1/cache/stats?team_id=" + own), 200).get("data"))
        .hasSize(1);
    assertApiError(bearer(teamAdmin).get("/api/v1/cache/stats?team_id=" + foreign), 403, null);
    JsonNode all = assertStatus(admin().get("/api/v1/cache/stats"), 200).get("data");
    assertThat(all.valueStream().map(t -> t.get("team_id").stringValue())).contains(own.toString(),
        foreign.toString());
  }

  @Test
  void refusesAMalformedPeriodOrTeamAndAnUnknownTeamWith404() {
    assertApiError(admin().get("/api/v1/cache/stats?team_id=nope"), 400, "team_id");
    assertApiError(admin().get("/api/v1/cache/stats?from=yesterday"), 400, "from");
    assertApiError(admin().get("/api/v1/cache/stats?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"), 400, "to");
    assertApiError(admin().get("/api/v1/cache/stats?team_id=" + UUID.randomUUID()), 404, null);
  }
}
