package dev.spillway.controlplane.alert;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.usage.UsageLine.batch;
import static dev.spillway.controlplane.usage.UsageLine.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import dev.spillway.controlplane.WebhookReceiver;
import dev.spillway.controlplane.usage.UsageLine;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/**
 * Budget alerts end to end on the real application and database: usage batches go in through
 * {@code POST /internal/v1/usage}, alerts fire at 50, 80 and 100 % of a budget exactly once each, and reach the test's
 * webhook ({@link WebhookReceiver}) signed and retried until it answers 200.
 */
class BudgetAlertIT extends ControlPlaneIntegrationTest {
  private static final String NDJSON = "application/x-ndjson";

  @Autowired
  BudgetAlertChecker checker;

  /** One alert as the table holds it. */
  record Row(int threshold, Instant periodStart, String delivery, int attempts, String lastError) {}

  private UUID team(String name) {
    return UUID.fromString(createTeam(unique(name)).get("id").stringValue());
  }

  private UUID keyWithBudget(UUID team, String limitUsd, String period) {
    return UUID.fromString(assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "%s", "team_id": "%s", "budget": {"limit_usd": %s, "period": "%s"}}"""
        .formatted(unique("budgeted"), team, limitUsd, period)), 201).get("id").stringValue());
  }

  /** {@code count} events of {@code costEach} USD for the key, a millisecond apart from {@code at}. */
  private static List<UsageLine> spend(String prefix, UUID team, UUID key, int count, String costEach, Instant at) {
    List<UsageLine> lines = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      lines.add(event(prefix + "-" + i, at.plusMillis(i)).key(team, key).cost(costEach));
    }
    return lines;
  }

  private ApiResponse ingest(List<UsageLine> lines) {
    return node().send("POST", "/internal/v1/usage", NDJSON, batch(lines));
  }

  private List<Row> alerts(UUID scopeId) {
    return jdbc.sql("SELECT threshold_percent, period_start, delivery_state, delivery_attempts, last_error "
            + "FROM budget_alerts WHERE scope_id = ? ORDER BY period_start, threshold_percent").param(scopeId)
        .query((rs, i) -> new Row(rs.getInt(1), rs.getTimestamp(2).toInstant(), rs.getString(3), rs.getInt(4),
            rs.getString(5)))
        .list();
  }

  private List<Integer> thresholds(UUID scopeId) {
    return alerts(scopeId).stream().map(Row::threshold).toList();
  }

  /** The start of the current hour: inside every current period, and never in the future. */
  private static Instant thisHour() {
    return Instant.now().truncatedTo(ChronoUnit.HOURS);
  }

  @Test
  void firesEachThresholdOnceAsTheSpendReachesIt() {
    UUID team = team("alerts");
    UUID key = keyWithBudget(team, "1", "monthly");
    String p = unique("steps");

    assertStatus(ingest(spend(p + "-a", team, key, 4, "0.12", thisHour())), 200);
    eventually().until(() -> checker.check(Set.of(team), Set.of(key), Instant.now()).ran());
    assertThat(thresholds(key)).as("48 %% spent").isEmpty();

    assertStatus(ingest(spend(p + "-b", team, key, 1, "0.12", thisHour().plusSeconds(1))), 200);

    eventually().until(() -> thresholds(key).equals(List.of(50)));

    assertStatus(ingest(spend(p + "-c", team, key, 2, "0.15", thisHour().plusSeconds(2))), 200);
    eventually().until(() -> thresholds(key).equals(List.of(50, 80)));
    assertStatus(ingest(spend(p + "-d", team, key, 1, "0.12", thisHour().plusSeconds(3))), 200);
    eventually().until(() -> thresholds(key).equals(List.of(50, 80, 100)));

    JsonNode listed = assertStatus(admin().get("/api/v1/budget-alerts?key_id=" + key), 200).get("data");
    assertThat(listed).hasSize(3);
    JsonNode hundred = listed.valueStream().filter(a -> a.get("threshold_percent").asInt() == 100).findFirst()
        .orElseThrow();
    assertThat(hundred.get("scope_type").stringValue()).isEqualTo("key");
    assertThat(hundred.get("team_id").stringValue()).isEqualTo(team.toString());
    assertThat(hundred.get("period").stringValue()).isEqualTo("monthly");
    assertThat(hundred.get("limit_usd").decimalValue()).isEqualByComparingTo("1");
    assertThat(hundred.get("spent_usd").decimalValue()).isEqualByComparingTo("1.02");
    assertThat(hundred.get("message").stringValue()).matches("key 'budgeted-[^']+' monthly budget \\$1\\.00 at 100 % "
        + "\\(\\$1\\.02 spent\\)");
    assertThat(Instant.parse(hundred.get("period_start").stringValue()))
        .isEqualTo(thisHour().atZone(ZoneOffset.UTC).withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS)
            .toInstant());
  }

  /**
   * Eight nodes (or replicas) send the same three batches at once, each of them twice: every threshold fires once,
   * and later checks (the periodic sweep, a check of every budget) fire nothing more.
   */
  @Test
  void resentAndConcurrentBatchesFireThreeAlertsExactlyOnceEach() throws Exception {
    UUID team = team("race");
    UUID key = keyWithBudget(team, "1", "monthly");
    String p = unique("race");
    List<List<UsageLine>> batches = List.of(spend(p + "-50", team, key, 5, "0.11", thisHour()),
        spend(p + "-80", team, key, 3, "0.11", thisHour().plusSeconds(1)),
        spend(p + "-100", team, key, 2, "0.11", thisHour().plusSeconds(2)));
    int threads = 8;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    List<Future<List<ApiResponse>>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Random random = new Random(t);
      results.add(executor.submit(() -> {
        start.await();
        List<ApiResponse> answers = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
          for (List<UsageLine> batch : batches) {
            List<UsageLine> shuffled = new ArrayList<>(batch);
            Collections.shuffle(shuffled, random);
            answers.add(ingest(shuffled));
          }
        }
        return answers;
      }));
    }
    start.countDown();
    try {
      for (Future<List<ApiResponse>> result : results) {
        result.get().forEach(answer -> assertStatus(answer, 200));
      }
    } finally {
      executor.shutdownNow();
    }

    eventually().until(() -> thresholds(key).equals(List.of(50, 80, 100)));
    eventually().until(() -> alerts(key).stream().allMatch(a -> a.delivery().equals("delivered")));
    eventually().until(() -> checker.checkAll(Instant.now()).ran());
    eventually().until(() -> checker.check(Set.of(team), Set.of(key), Instant.now()).ran());

    assertThat(thresholds(key)).containsExactly(50, 80, 100);
    assertThat(WEBHOOK.received(key)).extracting(r -> r.json().get("threshold_percent").asInt())
        .containsExactlyInAnyOrder(50, 80, 100);
  }

  @Test
  void aNewPeriodFiresItsAlertsAgain() {
    UUID team = team("daily");
    UUID key = keyWithBudget(team, "1", "daily");
    Instant today = thisHour().truncatedTo(ChronoUnit.DAYS);
    Instant yesterday = today.minus(Duration.ofDays(1));
    String p = unique("daily");
    // Yesterday's spend, as if it had been checked yesterday.
    assertStatus(ingest(spend(p + "-y", team, key, 6, "0.1", yesterday.plus(Duration.ofHours(12)))), 200);
    eventually().until(() -> checker.check(Set.of(), Set.of(key),
        yesterday.plus(Duration.ofHours(23))).ran());
    assertThat(alerts(key)).extracting(Row::threshold, Row::periodStart).containsExactly(
        tuple(50, yesterday));

    assertStatus(ingest(spend(p + "-t", team, key, 6, "0.1", thisHour())), 200);

    eventually().until(() -> alerts(key).size() == 2);
    assertThat(alerts(key)).extracting(Row::threshold, Row::periodStart).containsExactly(
        tuple(50, yesterday), tuple(50, today));
  }

  @Test
  void theWebhookGetsASignedJsonBodyAndIsRetriedUntilItAnswers200() throws Exception {
    UUID team = team("hook");
    UUID key = keyWithBudget(team, "2", "total");
    WEBHOOK.answer(key, 500, 503);
    String p = unique("hook");

    assertStatus(ingest(spend(p, team, key, 5, "0.2", thisHour())), 200);

    eventually().until(() -> alerts(key).size() == 1 && alerts(key).get(0).delivery().equals("delivered"));
    Row row = alerts(key).get(0);
    assertThat(row.attempts()).isEqualTo(3);
    assertThat(row.lastError()).isNull();
    List<WebhookReceiver.Received> posts = WEBHOOK.received(key);
    assertThat(posts).hasSize(3);
    assertThat(posts).extracting(WebhookReceiver.Received::text).containsOnly(posts.get(0).text());
    WebhookReceiver.Received post = posts.get(2);
    assertThat(post.headers().get("content-type")).isEqualTo("application/json");
    assertThat(post.headers().get("x-spillway-signature")).isEqualTo("sha256=" + hmac(WEBHOOK_SECRET, post.body()));
    JsonNode body = post.json();
    assertThat(body.get("type").stringValue()).isEqualTo("budget.threshold");
    assertThat(body.get("threshold_percent").asInt()).isEqualTo(50);
    assertThat(body.get("scope_type").stringValue()).isEqualTo("key");
    assertThat(body.get("scope_id").stringValue()).isEqualTo(key.toString());
    assertThat(body.get("scope_name").stringValue()).startsWith("budgeted-");
    assertThat(body.get("period").stringValue()).isEqualTo("total");
    assertThat(body.get("period_start").stringValue()).isEqualTo("1970-01-01T00:00:00Z");
    assertThat(body.get("limit_usd").stringValue()).isEqualTo("2.00");
    assertThat(body.get("spent_usd").stringValue()).isEqualTo("1.00");
    assertThat(Instant.parse(body.get("fired_at").stringValue())).isBefore(Instant.now());
    assertThat(body.get("id").stringValue()).isEqualTo(assertStatus(admin().get("/api/v1/budget-alerts?key_id="
        + key), 200).get("data").get(0).get("id").stringValue());
  }

  /**
   * A webhook that takes the connection and never answers: batches are stored and answered as fast as ever, the
   * alerts fire, and their rows say the POST timed out and will be tried again.
   */
  @Test
  void aWebhookThatNeverAnswersNeitherSlowsNorFailsIngestion() {
    UUID team = team("stuck");
    UUID key = keyWithBudget(team, "1", "monthly");
    WEBHOOK.hold(key);
    String p = unique("stuck");
    try {
      for (int step = 0; step < 3; step++) {
        long started = System.nanoTime();
        ApiResponse answer = ingest(spend(p + "-" + step, team, key, 1, step == 0 ? "0.5" : "0.3",
            thisHour().plusSeconds(step)));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertStatus(answer, 200);
        assertThat(took).as("batch %d answered in", step).isLessThan(WEBHOOK_TIMEOUT.dividedBy(2));
        // The next batch only after this one's alert fired (and its POST hangs), so the next one meets it.
        int fired = step + 1;
        eventually().until(() -> alerts(key).size() == fired);
      }

      eventually().until(() -> alerts(key).stream().allMatch(a -> a.lastError() != null));
      assertThat(alerts(key)).allSatisfy(a -> {
        assertThat(a.delivery()).isEqualTo("pending");
        assertThat(a.lastError()).isEqualTo("timed out after 2.0 s");
      });
    } finally {
      WEBHOOK.release(key);
    }
  }

  @Test
  void teamMembersSeeTheAlertsOfTheirOwnTeamsOnly() {
    UUID teamA = team("alerts-a");
    UUID teamB = team("alerts-b");
    UUID keyA = keyWithBudget(teamA, "1", "monthly");
    UUID keyB = keyWithBudget(teamB, "1", "monthly");
    String p = unique("authz");
    assertStatus(ingest(spend(p + "-a", teamA, keyA, 1, "0.6", thisHour())), 200);
    assertStatus(ingest(spend(p + "-b", teamB, keyB, 1, "0.6", thisHour())), 200);
    eventually().until(() -> alerts(keyA).size() == 1 && alerts(keyB).size() == 1);
    String teamAdminA = createApiToken("team_admin", teamA.toString());
    String orgViewer = createApiToken("viewer", null);

    JsonNode mine = assertStatus(bearer(teamAdminA).get("/api/v1/budget-alerts"), 200).get("data");
    assertThat(mine.valueStream().map(a -> a.get("team_id").stringValue())).isNotEmpty().allMatch(
        teamA.toString()::equals);
    assertThat(assertStatus(bearer(teamAdminA).get("/api/v1/budget-alerts?team_id=" + teamA), 200).get("data"))
        .hasSize(1);
    assertApiError(bearer(teamAdminA).get("/api/v1/budget-alerts?team_id=" + teamB), 403, null);
    assertApiError(bearer(teamAdminA).get("/api/v1/budget-alerts?key_id=" + keyB), 403, null);
    JsonNode all = assertStatus(bearer(orgViewer).get("/api/v1/budget-alerts?limit=1000"), 200).get("data");
    assertThat(all.valueStream().map(a -> a.get("scope_id").stringValue())).contains(keyA.toString(),
        keyB.toString());
    assertApiError(admin().get("/api/v1/budget-alerts?limit=0"), 400, "limit");
  }

  private static String hmac(String secret, byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(body));
  }
}
