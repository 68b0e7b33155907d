package dev.spillway.controlplane.usage;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static dev.spillway.controlplane.usage.UsageLine.batch;
import static dev.spillway.controlplane.usage.UsageLine.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /internal/v1/usage} against the real database: events are stored once however often a batch arrives,
 * and the hourly rollups always equal the stored events.
 */
class UsageIngestIT extends ControlPlaneIntegrationTest {
  private static final String PATH = "/internal/v1/usage";
  private static final String NDJSON = "application/x-ndjson";

  @Autowired
  DataSource dataSource;

  /** One row of usage_hourly, without its org and team. */
  record Rollup(long requests, long errors, long inputTokens, long outputTokens, long reasoningTokens,
      BigDecimal costUsd, long cacheHits, long latencyMsSum, long unpricedRequests, long shadowRefusals) {}

  private ApiResponse send(String ndjson) {
    return node().send("POST", PATH, NDJSON, ndjson);
  }

  private JsonNode stored(String ndjson) {
    return assertStatus(send(ndjson), 200);
  }

  private static Instant anHourAgo() {
    return Instant.now().truncatedTo(ChronoUnit.HOURS).minus(Duration.ofHours(1));
  }

  /** The team's rollups by "hour key provider model". */
  private Map<String, Rollup> rollups(UUID teamId) {
    Map<String, Rollup> rows = new LinkedHashMap<>();
    jdbc.sql("SELECT hour, key_id, provider, model, requests, errors, input_tokens, output_tokens, reasoning_tokens, "
            + "cost_usd, cache_hits, latency_ms_sum, unpriced_requests, shadow_refusals FROM usage_hourly "
            + "WHERE team_id = ? ORDER BY 1, 2, 3, 4").param(teamId)
        .query(rs -> {
          rows.put(rs.getTimestamp(1).toInstant() + " " + rs.getString(2) + " " + rs.getString(3) + " "
              + rs.getString(4), new Rollup(rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getLong(8),
              rs.getLong(9), rs.getBigDecimal(10).stripTrailingZeros(), rs.getLong(11), rs.getLong(12),
              rs.getLong(13), rs.getLong(14)));
        });
    return rows;
  }

  private long storedEvents(String requestIdPrefix) {
    return jdbc.sql("SELECT count(*) FROM usage_events WHERE request_id LIKE ?").param(requestIdPrefix + "%")
        .query(Long.class).single();
  }

  private static UUID id(JsonNode created) {
    return UUID.fromString(created.get("id").stringValue());
  }

  @Test
  void storesEachEventAndRollsItUpByHourKeyAndModel() {
    UUID team = id(createTeam(unique("usage")));
    UUID key = id(createKey(team.toString(), "k1"));
    UUID other = id(createKey(team.toString(), "k2"));
    Instant hour = anHourAgo().minus(Duration.ofHours(1));
    String p = unique("req");

    JsonNode answer = stored(batch(
        event(p + "-a", hour.plusMillis(1_000)).key(team, key).reasoningTokens(4),
        event(p + "-b", hour.plusMillis(2_000)).key(team, key).status(502).tokens(0, 0).cost("0").latencyMs(100),
        event(p + "-c", hour.plusMillis(3_000)).key(team, key).cacheHit("hit-exact", null, 5, 6, "0.1")
            .latencyMs(3),
        event(p + "-d", hour.plus(Duration.ofMinutes(61))).key(team, key),
        event(p + "-e", hour.plusMillis(5_000)).key(team, other).model("acme", "m-1").unpriced().tokens(7, 8)
            .shadowRefusal("rate_limit: key rpm 60").clientClosed()));

    assertThat(answer.get("accepted").asInt()).isEqualTo(5);
    assertThat(answer.get("duplicates").asInt()).isZero();
    assertThat(rollups(team)).containsOnly(
        Map.entry(hour + " " + key + " openai gpt-4o-mini",
            new Rollup(3, 1, 10, 20, 4, new BigDecimal("0.000012345"), 1, 115, 0, 0)),
        Map.entry(hour + " " + other + " acme m-1", new Rollup(1, 0, 7, 8, 0, BigDecimal.ZERO, 0, 12, 1, 1)),
        Map.entry(hour.plus(Duration.ofHours(1)) + " " + key + " openai gpt-4o-mini",
            new Rollup(1, 0, 10, 20, 0, new BigDecimal("0.000012345"), 0, 12, 0, 0)));
    Map<String, Object> e = jdbc.sql("SELECT occurred_at, unpriced, cost_usd, usage_source, client_closed, "
        + "shadow_refusal, node_id, endpoint, streamed FROM usage_events WHERE request_id = ?").param(p + "-e")
        .query().singleRow();
    assertThat(((Timestamp) e.get("occurred_at")).toInstant()).isEqualTo(hour.plusMillis(5_000));
    assertThat(e.get("unpriced")).isEqualTo(true);
    assertThat((BigDecimal) e.get("cost_usd")).isEqualByComparingTo("0");
    assertThat(e.get("usage_source")).isEqualTo("provider");
    assertThat(e.get("client_closed")).isEqualTo(true);
    assertThat(e.get("shadow_refusal")).isEqualTo("rate_limit: key rpm 60");
    assertThat(e.get("node_id")).isEqualTo("it-node:8000");
    assertThat(e.get("streamed")).isEqualTo(true);

    JsonNode totals = assertStatus(admin().get("/api/v1/usage?team_id=" + team), 200).get("totals");
    assertThat(totals.get("requests").asLong()).isEqualTo(5);
    assertThat(totals.get("errors").asLong()).isEqualTo(1);
    assertThat(totals.get("unpriced_requests").asLong()).isEqualTo(1);
    assertThat(totals.get("spend_usd").decimalValue()).isEqualByComparingTo("0.000024690");
  }

  @Test
  void refusalsAndShadowRefusalsRollUpSideBySideAndShowInTheUsageApi() {
    UUID team = id(createTeam(unique("refused")));
    UUID key = id(createKey(team.toString(), "k1"));
    UUID other = id(createKey(team.toString(), "k2"));
    Instant at = anHourAgo();
    String p = unique("req");
    String refusals = batch(
        event(p + "-rpm", at).key(team, key).model(null, null).refused("rate_limit_exceeded"),
        event(p + "-budget", at.plusSeconds(1)).key(team, key).model(null, null).refused("budget_exceeded"),
        // An upstream failure is an error, not a refusal.
        event(p + "-upstream", at.plusSeconds(2)).key(team, key).status(502),
        event(p + "-shadow", at.plusSeconds(3)).key(team, key).shadowRefusal("budget: key monthly 1"),
        event(p + "-other", at.plusSeconds(4)).key(team, other).model(null, null).refused("budget_exceeded"));
    stored(refusals);

    JsonNode again = stored(refusals);

    assertThat(again.get("accepted").asInt()).isZero();
    assertThat(jdbc.sql("SELECT sum(refusals), sum(shadow_refusals) FROM usage_hourly WHERE team_id = ?").param(team)
        .query((rs, i) -> List.of(rs.getLong(1), rs.getLong(2))).single()).containsExactly(3L, 1L);
    JsonNode usage = assertStatus(admin().get("/api/v1/usage?group_by=key&team_id=" + team), 200);
    JsonNode totals = usage.get("totals");
    assertThat(totals.get("requests").asLong()).isEqualTo(5);
    assertThat(totals.get("errors").asLong()).isEqualTo(4);
    assertThat(totals.get("refusals").asLong()).isEqualTo(3);
    assertThat(totals.get("shadow_refusals").asLong()).isEqualTo(1);
    Map<String, List<Long>> byKey = new HashMap<>();
    usage.get("data").forEach(row -> byKey.put(row.get("group").stringValue(),
        List.of(row.get("refusals").asLong(), row.get("shadow_refusals").asLong())));
    assertThat(byKey).containsOnly(Map.entry(key.toString(), List.of(2L, 1L)),
        Map.entry(other.toString(), List.of(1L, 0L)));
  }

  @Test
  void aBatchSentAgainChangesNothing() {
    UUID team = id(createTeam(unique("replay")));
    UUID key = UUID.randomUUID();
    String p = unique("req");
    Instant at = anHourAgo().plusMillis(123);
    String first = batch(event(p + "-1", at).key(team, key), event(p + "-2", at.plusNanos(456_000)).key(team, key),
        event(p + "-3", at.plusSeconds(9)).key(team, key).status(500));
    stored(first);
    Map<String, Rollup> before = rollups(team);

    JsonNode again = stored(first);

    assertThat(again.get("accepted").asInt()).isZero();
    assertThat(again.get("duplicates").asInt()).isEqualTo(3);
    assertThat(storedEvents(p)).isEqualTo(3);
    assertThat(rollups(team)).isEqualTo(before);

    JsonNode partly = stored(batch(event(p + "-2", at.plusNanos(456_000)).key(team, key),
        event(p + "-4", at.plusSeconds(20)).key(team, key)));

    assertThat(partly.get("accepted").asInt()).isEqualTo(1);
    assertThat(partly.get("duplicates").asInt()).isEqualTo(1);
    assertThat(rollups(team).values()).singleElement().extracting(Rollup::requests).isEqualTo(4L);
  }

  @Test
  void aLineRepeatedWithinABatchCountsOnce() {
    UUID team = id(createTeam(unique("repeat")));
    UUID key = UUID.randomUUID();
    String p = unique("req");
    Instant at = anHourAgo();
    UsageLine line = event(p + "-x", at).key(team, key).tokens(100, 1);

    JsonNode answer = stored(batch(line, event(p + "-y", at).key(team, key), line));

    assertThat(answer.get("accepted").asInt()).isEqualTo(2);
    assertThat(answer.get("duplicates").asInt()).isEqualTo(1);
    assertThat(rollups(team).values()).singleElement().satisfies(r -> {
      assertThat(r.requests()).isEqualTo(2);
      assertThat(r.inputTokens()).isEqualTo(110);
    });
  }

  @Test
  void eventsWithoutAKeyAreStoredButNotRolledUpAndAMissingModelRollsUpAsEmpty() {
    UUID team = id(createTeam(unique("nokey")));
    UUID key = UUID.randomUUID();
    String p = unique("req");
    Instant at = anHourAgo();
    long rolledUpBefore = jdbc.sql("SELECT coalesce(sum(requests), 0) FROM usage_hourly").query(Long.class).single();

    stored(batch(event(p + "-refused", at).key((String) null, null).model(null, null).status(401).tokens(0, 0)
        .cost("0")));

    assertThat(storedEvents(p)).isEqualTo(1);
    assertThat(jdbc.sql("SELECT coalesce(sum(requests), 0) FROM usage_hourly").query(Long.class).single())
        .isEqualTo(rolledUpBefore);

    stored(batch(event(p + "-unrouted", at).key(team, key).model(null, null).status(404).tokens(0, 0)));

    assertThat(rollups(team)).containsOnlyKeys(at + " " + key + "  ");
  }

  /**
   * Several nodes (and replicas) at once, with batches that overlap: every event is stored once and the rollups
   * equal the stored events, with no deadlock (a deadlock would be answered 503 and fail the first assertion).
   * 40 of 60 events per batch, in random order: the batches overlap so much that storing them without taking its
   * locks in key order deadlocks here (tried: without the ORDER BYs of the statement this test fails).
   */
  @Test
  void concurrentOverlappingBatchesRollUpExactlyTheDistinctEvents() throws Exception {
    UUID team = id(createTeam(unique("race")));
    List<UUID> keys = List.of(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID());
    String p = unique("race");
    Random random = new Random(42);
    List<UsageLine> pool = new ArrayList<>();
    Map<String, int[]> tokensById = new HashMap<>();
    for (int i = 0; i < 60; i++) {
      int input = random.nextInt(1000);
      int output = random.nextInt(1000);
      String id = p + "-" + i;
      tokensById.put(id, new int[] {input, output});
      pool.add(event(id, anHourAgo().minus(Duration.ofHours(random.nextInt(3))).plusMillis(random.nextInt(3_600_000)))
          .key(team, keys.get(random.nextInt(keys.size()))).model("openai", random.nextBoolean() ? "a" : "b")
          .tokens(input, output).cost("0.00000" + (1 + random.nextInt(9))).status(random.nextInt(10) == 0 ? 500 : 200));
    }
    int threads = 8;
    int batchesPerThread = 50;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    List<Future<List<ApiResponse>>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Random mine = new Random(t);
      results.add(executor.submit(() -> {
        start.await();
        List<ApiResponse> answers = new ArrayList<>();
        for (int b = 0; b < batchesPerThread; b++) {
          List<UsageLine> lines = new ArrayList<>();
          for (int i = 0; i < 40; i++) {
            lines.add(pool.get(mine.nextInt(pool.size())));
          }
          // Random order within a batch: storing must order its locks itself.
          Collections.shuffle(lines, mine);
          answers.add(send(batch(lines)));
        }
        return answers;
      }));
    }
    start.countDown();
    long accepted = 0;
    long lines = 0;
    try {
      for (Future<List<ApiResponse>> result : results) {
        for (ApiResponse answer : result.get()) {
          JsonNode body = assertStatus(answer, 200);
          accepted += body.get("accepted").asLong();
          lines += body.get("accepted").asLong() + body.get("duplicates").asLong();
        }
      }
    } finally {
      executor.shutdownNow();
    }

    long distinct = storedEvents(p);
    assertThat(lines).isEqualTo((long) threads * batchesPerThread * 40);
    assertThat(accepted).isEqualTo(distinct);
    List<String> storedIds = jdbc.sql("SELECT request_id FROM usage_events WHERE request_id LIKE ?")
        .param(p + "-%").query(String.class).list();
    long expectedInput = storedIds.stream().mapToLong(id -> tokensById.get(id)[0]).sum();
    long expectedOutput = storedIds.stream().mapToLong(id -> tokensById.get(id)[1]).sum();
    Map<String, Object> rolled = jdbc.sql("SELECT sum(requests) AS requests, sum(input_tokens) AS input, "
        + "sum(output_tokens) AS output FROM usage_hourly WHERE team_id = ?").param(team).query().singleRow();
    assertThat(((Number) rolled.get("requests")).longValue()).isEqualTo(distinct);
    assertThat(((Number) rolled.get("input")).longValue()).isEqualTo(expectedInput);
    assertThat(((Number) rolled.get("output")).longValue()).isEqualTo(expectedOutput);
    long mismatched = jdbc.sql("""
        SELECT count(*) FROM (
          SELECT date_trunc('hour', occurred_at, 'UTC') AS hour, key_id, provider, model, count(*) AS requests,
                 count(*) FILTER (WHERE status_code >= 400) AS errors, sum(input_tokens) AS input,
                 sum(output_tokens) AS output, sum(cost_usd) AS cost
          FROM usage_events WHERE team_id = ? GROUP BY 1, 2, 3, 4) e
        FULL JOIN (SELECT * FROM usage_hourly WHERE team_id = ?) h
          ON e.hour = h.hour AND e.key_id = h.key_id AND e.provider = h.provider AND e.model = h.model
        WHERE e.requests IS DISTINCT FROM h.requests OR e.errors IS DISTINCT FROM h.errors
           OR e.input IS DISTINCT FROM h.input_tokens OR e.output IS DISTINCT FROM h.output_tokens
           OR e.cost IS DISTINCT FROM h.cost_usd""").params(team, team).query(Long.class).single();
    assertThat(mismatched).isZero();
  }

  @Test
  void acceptsAGzippedBatch() throws Exception {
    UUID team = id(createTeam(unique("gzip")));
    String p = unique("req");
    byte[] body = UsageBatchReaderTest.gzip(batch(event(p + "-1", anHourAgo()).key(team, UUID.randomUUID()),
        event(p + "-2", anHourAgo()).key(team, UUID.randomUUID())).getBytes(StandardCharsets.UTF_8));

    JsonNode answer = assertStatus(node().sendBytes("POST", PATH, NDJSON, body, "Content-Encoding", "gzip"), 200);

    assertThat(answer.get("accepted").asInt()).isEqualTo(2);
    assertThat(storedEvents(p)).isEqualTo(2);
    assertThat(rollups(team).values()).extracting(Rollup::requests).containsExactly(1L, 1L);
  }

  @Test
  void refusesAMalformedBatchWholeNamingLineAndField() {
    UUID team = id(createTeam(unique("bad")));
    String p = unique("req");
    String good = batch(event(p + "-1", anHourAgo()).key(team, UUID.randomUUID()),
        event(p + "-2", anHourAgo()).key(team, UUID.randomUUID()));

    JsonNode negative = assertApiError(send(good + event(p + "-3", anHourAgo()).tokens(-5, 1).json()), 400,
        "input_tokens");
    JsonNode missing = assertApiError(send(good + event(p + "-4", anHourAgo()).json()
        .replace("\"org_id\":\"" + UsageLine.ORG + "\",", "")), 400, "org_id");
    JsonNode notJson = assertApiError(send(good + "{\"request_id\": oops}\n"), 400, null);

    assertThat(message(negative)).isEqualTo("line 3: input_tokens: must be >= 0 (got -5)");
    assertThat(message(missing)).isEqualTo("line 3: org_id: is required");
    assertThat(message(notJson)).startsWith("line 3: is not valid JSON");
    assertThat(storedEvents(p)).isZero();
    assertThat(rollups(team)).isEmpty();
  }

  @Test
  void refusesABatchOverTheLimitsWith413() throws Exception {
    String p = unique("big");
    StringBuilder tooMany = new StringBuilder();
    for (int i = 0; i <= UsageBatchReader.MAX_LINES; i++) {
      tooMany.append("{\"request_id\":\"").append(p).append('-').append(i).append("\",\"occurred_at\":\"")
          .append(anHourAgo()).append("\",\"org_id\":\"").append(UsageLine.ORG)
          .append("\",\"endpoint\":\"chat_completions\",\"status_code\":200}\n");
    }
    byte[] bomb = UsageBatchReaderTest.gzippedBlankLines(UsageBatchReader.MAX_BYTES + 1);

    JsonNode lines = assertApiError(send(tooMany.toString()), 413, null);
    JsonNode bytes = assertApiError(node().sendBytes("POST", PATH, NDJSON, bomb, "Content-Encoding", "gzip"), 413,
        null);

    assertThat(message(lines)).contains("more than 20000 events");
    assertThat(message(bytes)).contains("64 MiB");
    assertThat(storedEvents(p)).isZero();
  }

  @Test
  void refusesOtherMediaTypesAndEncodings() {
    String body = batch(event(unique("req"), anHourAgo()));

    assertApiError(node().send("POST", PATH, "application/json", body), 415, null);
    assertApiError(node().sendBytes("POST", PATH, NDJSON, body.getBytes(StandardCharsets.UTF_8),
        "Content-Encoding", "br"), 415, null);
  }

  @Test
  void wantsTheNodeTokenAndRefusesAdminTokens() {
    String p = unique("req");
    String body = batch(event(p, anHourAgo()));
    String orgAdminToken = createApiToken("org_admin", null);

    assertApiError(anonymous().send("POST", PATH, NDJSON, body), 401, null);
    assertApiError(bearer("not-the-node-token").send("POST", PATH, NDJSON, body), 401, null);
    assertApiError(admin().send("POST", PATH, NDJSON, body), 401, null);
    assertApiError(bearer(orgAdminToken).send("POST", PATH, NDJSON, body), 401, null);
    assertThat(storedEvents(p)).isZero();
  }

  /** A database that does not answer in time: 503 and nothing stored, so the node's retry stores the batch. */
  @Test
  void answers503WhileTheDatabaseCannotTakeTheBatchAndStoresItWhenRetried() throws Exception {
    String p = unique("req");
    String body = batch(event(p, anHourAgo()).key(UUID.randomUUID(), UUID.randomUUID()));

    try (Connection other = dataSource.getConnection(); Statement st = other.createStatement()) {
      other.setAutoCommit(false);
      st.execute("LOCK TABLE usage_events IN ACCESS EXCLUSIVE MODE");
      try {
        JsonNode error = assertApiError(send(body), 503, null);
        assertThat(message(error)).contains("send the same batch again later");
      } finally {
        other.rollback();
        other.setAutoCommit(true);
      }
    }
    assertThat(storedEvents(p)).isZero();

    assertThat(stored(body).get("accepted").asInt()).isEqualTo(1);
  }
}
