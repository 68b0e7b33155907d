package dev.spillway.controlplane.usage;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static dev.spillway.controlplane.usage.UsageLine.batch;
import static dev.spillway.controlplane.usage.UsageLine.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * What the cache stage reports with each request: a hit's tokens are saved, not spent, and its saving is summed;
 * every lookup, shadow lookup and shadow hit is counted once in the hourly rollups, however often a batch arrives.
 */
class UsageCacheIngestIT extends ControlPlaneIntegrationTest {
  private static final String PATH = "/internal/v1/usage";
  private static final String NDJSON = "application/x-ndjson";

  @Autowired
  UsageRetention retention;

  /** The cache columns of one team's rollups, summed, and its spent tokens and spend. */
  record CacheSums(long requests, long inputTokens, long outputTokens, BigDecimal costUsd, long hits,
      long semanticHits, long lookups, long shadowLookups, long shadowHits, long savedInput, long savedOutput,
      BigDecimal savedUsd) {}

  private CacheSums sums(UUID team) {
    return jdbc.sql("""
            SELECT sum(requests), sum(input_tokens), sum(output_tokens), sum(cost_usd), sum(cache_hits),
                   sum(cache_semantic_hits), sum(cache_lookups), sum(cache_shadow_lookups), sum(cache_shadow_hits),
                   sum(cache_saved_input_tokens), sum(cache_saved_output_tokens), sum(cache_saved_usd)
            FROM usage_hourly WHERE team_id = ?""").param(team)
        .query((rs, i) -> new CacheSums(rs.getLong(1), rs.getLong(2), rs.getLong(3),
            rs.getBigDecimal(4).stripTrailingZeros(), rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getLong(8),
            rs.getLong(9), rs.getLong(10), rs.getLong(11), rs.getBigDecimal(12).stripTrailingZeros()))
        .single();
  }

  private static UUID id(JsonNode created) {
    return UUID.fromString(created.get("id").stringValue());
  }

  private String mixedBatch(UUID team, UUID key, String p, Instant at) {
    return batch(
        // Cache off, and a line from a node older than the cache stage (no cache_saved_usd at all).
        event(p + "-off", at).key(team, key).tokens(100, 10).cost("0.001"),
        event(p + "-exact", at.plusSeconds(1)).key(team, key).cacheHit("hit-exact", null, 40, 400, "0.0042"),
        event(p + "-semantic", at.plusSeconds(2)).key(team, key).cacheHit("hit-semantic", 0.93f, 30, 300,
            "0.0031"),
        event(p + "-miss", at.plusSeconds(3)).key(team, key).cacheStatus("miss").cacheSimilarity(0.71f)
            .tokens(20, 2).cost("0.0002"),
        event(p + "-bypass", at.plusSeconds(4)).key(team, key).cacheStatus("bypass").tokens(5, 5).cost("0.0001"),
        event(p + "-shadow-hit", at.plusSeconds(5)).key(team, key).cacheStatus("shadow-hit")
            .cacheSimilarity(0.96f).tokens(7, 3).cost("0.0003"),
        event(p + "-shadow-miss", at.plusSeconds(6)).key(team, key).cacheStatus("shadow-miss")
            .cacheSimilarity(0.55f).tokens(1, 1).cost("0.0004"));
  }

  @Test
  void aHitsTokensAreSavedNotSpentAndEveryLookupCountsOnceEvenWhenTheBatchIsSentAgain() {
    UUID team = id(createTeam(unique("cache-usage")));
    UUID key = id(createKey(team.toString(), "k"));
    String p = unique("cache");
    String ndjson = mixedBatch(team, key, p, Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(1)));

    assertThat(assertStatus(node().send("POST", PATH, NDJSON, ndjson), 200).get("accepted").asInt()).isEqualTo(7);
    CacheSums first = sums(team);
    assertThat(assertStatus(node().send("POST", PATH, NDJSON, ndjson), 200).get("duplicates").asInt()).isEqualTo(7);

    assertThat(first).isEqualTo(new CacheSums(7, 100 + 20 + 5 + 7 + 1, 10 + 2 + 5 + 3 + 1,
        new BigDecimal("0.002"), 2, 1, 5, 2, 1, 40 + 30, 400 + 300, new BigDecimal("0.0073")));
    assertThat(sums(team)).isEqualTo(first);
    assertThat(jdbc.sql("SELECT request_id, cache_saved_usd FROM usage_events WHERE request_id LIKE ? ")
        .param(p + "-%").query((rs, i) -> rs.getString(1) + "=" + rs.getBigDecimal(2).stripTrailingZeros()
            .toPlainString()).list())
        .containsExactlyInAnyOrder(p + "-off=0", p + "-exact=0.0042", p + "-semantic=0.0031", p + "-miss=0",
            p + "-bypass=0", p + "-shadow-hit=0", p + "-shadow-miss=0");
  }

  @Test
  void spendAndTokensOfTheUsageApiCountOnlyWhatProvidersWerePaidFor() {
    UUID team = id(createTeam(unique("cache-spend")));
    UUID key = id(createKey(team.toString(), "k"));
    String p = unique("spend");
    assertStatus(node().send("POST", PATH, NDJSON, mixedBatch(team, key, p, Instant.now().minusSeconds(60))), 200);

    JsonNode totals = assertStatus(admin().get("/api/v1/usage?team_id=" + team), 200).get("totals");

    assertThat(totals.get("requests").asLong()).isEqualTo(7);
    assertThat(totals.get("spend_usd").decimalValue()).isEqualByComparingTo("0.002");
    assertThat(totals.get("input_tokens").asLong()).isEqualTo(133);
    assertThat(totals.get("output_tokens").asLong()).isEqualTo(21);
    assertThat(totals.get("cache_hits").asLong()).isEqualTo(2);
  }

  @Test
  void refusesANegativeSavingNamingLineAndField() {
    UUID team = id(createTeam(unique("cache-bad")));
    UUID key = id(createKey(team.toString(), "k"));
    String ndjson = batch(event(unique("ok"), Instant.now()).key(team, key),
        event(unique("bad"), Instant.now()).key(team, key).cacheHit("hit-exact", null, 1, 1, "-0.5"));

    JsonNode error = assertApiError(node().send("POST", PATH, NDJSON, ndjson), 400, "cache_saved_usd");

    assertThat(message(error)).isEqualTo("line 2: cache_saved_usd: must be >= 0 (got -0.5)");
  }

  @Test
  void foldingOldRollupsIntoMonthsKeepsTheCacheSums() {
    UUID team = id(createTeam(unique("cache-fold")));
    UUID key = UUID.randomUUID();
    Instant old = Instant.parse("2001-02-03T04:00:00Z");
    for (int hour = 0; hour < 2; hour++) {
      jdbc.sql("""
              INSERT INTO usage_hourly (hour, org_id, team_id, key_id, provider, model, requests, cache_hits,
                                        cache_semantic_hits, cache_lookups, cache_shadow_lookups, cache_shadow_hits,
                                        cache_saved_input_tokens, cache_saved_output_tokens, cache_saved_usd)
              VALUES (?, '00000000-0000-0000-0000-000000000001', ?, ?, 'openai', 'm', 10, 4, 1, 9, 3, 2, 100, 1000,
                      0.25)""")
          .params(Timestamp.from(old.plus(Duration.ofHours(hour))), team, key).update();
    }

    retention.purge(Instant.now());

    assertThat(jdbc.sql("SELECT count(*) FROM usage_hourly WHERE team_id = ?").param(team).query(Long.class)
        .single()).isEqualTo(1);
    assertThat(sums(team)).isEqualTo(new CacheSums(20, 0, 0, BigDecimal.ZERO, 8, 2, 18, 6, 4, 200, 2000,
        new BigDecimal("0.5")));
  }
}
