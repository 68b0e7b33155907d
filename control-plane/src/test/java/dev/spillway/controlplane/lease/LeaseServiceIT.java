package dev.spillway.controlplane.lease;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import dev.spillway.testsupport.TestDatabase;
import dev.spillway.testsupport.TestDatabases;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /internal/v1/leases} over HTTP against PostgreSQL: what is granted, that nodes hammering one limit
 * through two replicas never together exceed it, expiry, the budget counter's start from recorded spend, window
 * checks, errors and the cleanup. Every test uses scope ids of its own; limits are written straight into the
 * limit tables, which is all the lease service reads.
 */
class LeaseServiceIT extends ControlPlaneIntegrationTest {
  private static final String TOTAL = "1970-01-01T00:00:00Z";
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @Autowired
  private LeaseCleanup cleanup;

  // --- fixtures -------------------------------------------------------------------------------------------------

  private UUID budget(String scopeType, String limitUsd, String period) {
    UUID id = UUID.randomUUID();
    jdbc.sql("INSERT INTO budgets (scope_type, scope_id, limit_usd, period) VALUES (?, ?, ?::numeric, ?)")
        .params(scopeType, id, limitUsd, period).update();
    return id;
  }

  private void rateLimit(String scopeType, UUID id, Integer rpm, Integer tpm, Integer maxConcurrent) {
    jdbc.sql("INSERT INTO rate_limits (scope_type, scope_id, rpm, tpm, max_concurrent) VALUES (?, ?, ?, ?, ?)")
        .params(scopeType, id, rpm, tpm, maxConcurrent).update();
  }

  private static String lease(String scopeType, UUID id, String kind, String windowStart, String used, String want) {
    return """
        {"scope_type": "%s", "scope_id": "%s", "kind": "%s", "window_start": %s, "used": "%s", "want": "%s"}"""
        .formatted(scopeType, id, kind, windowStart == null ? "null" : "\"" + windowStart + "\"", used, want);
  }

  private static String release(String scopeType, UUID id, String kind, String windowStart, String used) {
    return """
        {"scope_type": "%s", "scope_id": "%s", "kind": "%s", "window_start": %s, "used": "%s", "release": true}"""
        .formatted(scopeType, id, kind, windowStart == null ? "null" : "\"" + windowStart + "\"", used);
  }

  private static String body(String nodeId, String... leases) {
    return "{\"node_id\": \"" + nodeId + "\", \"leases\": [" + String.join(", ", leases) + "]}";
  }

  private ApiResponse post(String json) {
    return node().send("POST", "/internal/v1/leases", "application/json", json);
  }

  /** The answer to a call that must succeed. */
  private JsonNode call(String nodeId, String... leases) {
    return assertStatus(post(body(nodeId, leases)), 200);
  }

  /** The single lease of a one-lease call. */
  private JsonNode grant(String nodeId, String lease) {
    JsonNode answer = call(nodeId, lease);
    assertThat(answer.get("leases").size()).isEqualTo(1);
    return answer.get("leases").get(0);
  }

  private static BigDecimal granted(JsonNode lease) {
    return new BigDecimal(lease.get("granted").stringValue());
  }

  private static BigDecimal remaining(JsonNode lease) {
    return new BigDecimal(lease.get("remaining").stringValue());
  }

  private static String currentMinute() {
    // Valid for at least a minute: the previous minute is accepted too.
    return Instant.now().truncatedTo(ChronoUnit.MINUTES).toString();
  }

  private BigDecimal sumUsed(UUID scopeId, String kind) {
    return jdbc.sql("SELECT coalesce(sum(used), 0) FROM limit_leases WHERE scope_id = ? AND kind = ?")
        .params(scopeId, kind).query(BigDecimal.class).single();
  }

  private BigDecimal consumed(UUID scopeId, String kind) {
    return jdbc.sql("SELECT consumed FROM limit_counters WHERE scope_id = ? AND kind = ?")
        .params(scopeId, kind).query(BigDecimal.class).single();
  }

  // --- how much is granted --------------------------------------------------------------------------------------

  @Test
  void aNodeThatRestartedAndCountsFromZeroIsToldWhatItAlreadyUsed() {
    UUID key = budget("key", "1.00", "total");
    String node = unique("node");
    call(node, lease("key", key, "budget", TOTAL, "0", "0.600"));
    call(node, lease("key", key, "budget", TOTAL, "0.4", "0.600"));

    JsonNode restarted = call(node, lease("key", key, "budget", TOTAL, "0", "0.300")).get("leases").get(0);

    assertThat(new java.math.BigDecimal(restarted.get("used").stringValue())).isEqualByComparingTo("0.4");
    assertThat(new java.math.BigDecimal(restarted.get("granted").stringValue()))
        .isGreaterThanOrEqualTo(new java.math.BigDecimal("0.4"));
  }

  @Test
  void aSingleNodeGetsWhatItWantsUpToTheLimit() {
    UUID key = budget("key", "1.00", "total");
    String node = unique("node");

    JsonNode first = call(node, lease("key", key, "budget", TOTAL, "0", "0.600"));
    JsonNode lease = first.get("leases").get(0);

    assertThat(lease.propertyNames()).containsExactlyInAnyOrder("scope_type", "scope_id", "kind", "window_start",
        "granted", "expires_at", "limit", "enforce", "remaining", "reset_at", "used");
    assertThat(lease.get("scope_type").stringValue()).isEqualTo("key");
    assertThat(lease.get("scope_id").stringValue()).isEqualTo(key.toString());
    assertThat(lease.get("kind").stringValue()).isEqualTo("budget");
    assertThat(lease.get("window_start").stringValue()).isEqualTo(TOTAL);
    assertThat(lease.get("granted").stringValue()).isEqualTo("0.6");
    assertThat(lease.get("limit").stringValue()).isEqualTo("1");
    assertThat(lease.get("enforce").booleanValue()).isTrue();
    assertThat(lease.get("remaining").stringValue()).isEqualTo("0.4");
    assertThat(lease.get("reset_at").isNull()).isTrue();
    assertThat(first.get("refresh_ms").asLong()).isEqualTo(2000);
    Instant serverTime = Instant.parse(first.get("server_time").stringValue());
    assertThat(Instant.parse(lease.get("expires_at").stringValue())).isEqualTo(serverTime.plusSeconds(10));

    JsonNode more = grant(node, lease("key", key, "budget", TOTAL, "0.25", "1.5"));
    assertThat(granted(more)).isEqualByComparingTo("1.00");
    assertThat(remaining(more)).isEqualByComparingTo("0");
  }

  @Test
  void threeNodesAskingForMoreThanTheLimitShareItAndReportsAndReleasesShowExactly() {
    UUID key = budget("key", "1.00", "total");
    String a = unique("node-a");
    String b = unique("node-b");
    String c = unique("node-c");

    BigDecimal ga = granted(grant(a, lease("key", key, "budget", TOTAL, "0", "0.3")));
    BigDecimal gb = granted(grant(b, lease("key", key, "budget", TOTAL, "0", "2")));
    BigDecimal gc = granted(grant(c, lease("key", key, "budget", TOTAL, "0", "2")));
    assertThat(ga).isEqualByComparingTo("0.3");
    assertThat(gb).isEqualByComparingTo("0.7");
    assertThat(gc).isEqualByComparingTo("0");
    assertThat(ga.add(gb).add(gc)).isLessThanOrEqualTo(new BigDecimal("1.00"));
    // a now wants more too, but nothing is free.
    assertThat(granted(grant(a, lease("key", key, "budget", TOTAL, "0", "1")))).isEqualByComparingTo("0.3");

    // b spent 0.2 and ends its lease: 0.2 is consumed, its other 0.5 goes back.
    JsonNode released = grant(b, release("key", key, "budget", TOTAL, "0.2"));
    assertThat(granted(released)).isEqualByComparingTo("0.2");
    assertThat(remaining(released)).isEqualByComparingTo("0.5");

    // c and a both want more: what is free is split between them.
    JsonNode toC = grant(c, lease("key", key, "budget", TOTAL, "0", "2"));
    assertThat(granted(toC)).isEqualByComparingTo("0.25");
    assertThat(remaining(toC)).isEqualByComparingTo("0.25");
    JsonNode toA = grant(a, lease("key", key, "budget", TOTAL, "0", "1"));
    assertThat(granted(toA)).isEqualByComparingTo("0.425");
    assertThat(remaining(toA)).isEqualByComparingTo("0.125");

    assertThat(consumed(key, "budget")).isEqualByComparingTo("0.2");
  }

  @Test
  void aReportBelowTheStoredUsedIsIgnored() {
    UUID key = budget("key", "5", "total");
    String node = unique("node");
    grant(node, lease("key", key, "budget", TOTAL, "0.3", "1"));

    JsonNode lower = grant(node, lease("key", key, "budget", TOTAL, "0.1", "1"));

    assertThat(consumed(key, "budget")).isEqualByComparingTo("0.3");
    assertThat(remaining(lower)).isEqualByComparingTo("4");
  }

  @Test
  void anExpiredLeaseGivesItsUnusedPartBackToOthersAndKeepsItsUsedConsumed() {
    UUID key = budget("key", "1.00", "total");
    String a = unique("node-a");
    String b = unique("node-b");
    assertThat(granted(grant(a, lease("key", key, "budget", TOTAL, "0.1", "0.8")))).isEqualByComparingTo("0.8");
    assertThat(granted(grant(b, lease("key", key, "budget", TOTAL, "0", "1")))).isEqualByComparingTo("0.2");

    jdbc.sql("UPDATE limit_leases SET expires_at = now() - interval '1 second' WHERE node_id = ? AND scope_id = ?")
        .params(a, key).update();

    JsonNode toB = grant(b, lease("key", key, "budget", TOTAL, "0", "1"));
    assertThat(granted(toB)).isEqualByComparingTo("0.9");
    assertThat(remaining(toB)).isEqualByComparingTo("0");
    // a comes back: its old grant was given away, it keeps only what it used.
    assertThat(granted(grant(a, lease("key", key, "budget", TOTAL, "0.1", "0.8")))).isEqualByComparingTo("0.1");
    assertThat(consumed(key, "budget")).isEqualByComparingTo("0.1");
  }

  @Test
  void concurrencyIsSharedAcrossNodesAndNeverGrantedBelowWhatIsInFlight() {
    UUID key = UUID.randomUUID();
    rateLimit("key", key, null, null, 5);
    String a = unique("node-a");
    String b = unique("node-b");
    String c = unique("node-c");

    JsonNode toA = grant(a, lease("key", key, "concurrency", null, "0", "3"));
    BigDecimal gb = granted(grant(b, lease("key", key, "concurrency", null, "1", "3")));
    BigDecimal gc = granted(grant(c, lease("key", key, "concurrency", null, "0", "3")));
    assertThat(granted(toA)).isEqualByComparingTo("3");
    assertThat(toA.get("window_start").isNull()).isTrue();
    assertThat(toA.get("reset_at").isNull()).isTrue();
    assertThat(toA.get("limit").stringValue()).isEqualTo("5");
    assertThat(gb).isEqualByComparingTo("2");
    assertThat(gc).isEqualByComparingTo("0");
    assertThat(granted(toA).add(gb).add(gc)).isLessThanOrEqualTo(new BigDecimal(5));

    // c has 2 requests in flight that it admitted under an earlier grant: they are granted, full or not.
    JsonNode inFlight = grant(c, lease("key", key, "concurrency", null, "2", "3"));
    assertThat(granted(inFlight)).isEqualByComparingTo("2");
    assertThat(remaining(inFlight)).isEqualByComparingTo("0");

    // Slots are not consumed: once a's requests finish and it lets go, they are free again.
    grant(a, release("key", key, "concurrency", null, "0"));
    JsonNode toB = grant(b, lease("key", key, "concurrency", null, "0", "3"));
    assertThat(granted(toB)).isEqualByComparingTo("3");
    assertThat(remaining(toB)).isEqualByComparingTo("0");
    assertThat(jdbc.sql("SELECT sum(granted) FROM limit_leases WHERE scope_id = ? AND released_at IS NULL")
        .param(key).query(BigDecimal.class).single()).isEqualByComparingTo("5");
  }

  @Test
  void withoutALimitTheNodeIsGrantedWhatItWants() {
    UUID nothing = UUID.randomUUID();
    String node = unique("node");
    String minute = currentMinute();

    JsonNode answer = call(node, lease("team", nothing, "budget", TOTAL, "3", "7.5"),
        lease("team", nothing, "rpm", minute, "10", "500"),
        lease("team", nothing, "concurrency", null, "4", "2"));

    JsonNode budget = answer.get("leases").get(0);
    assertThat(budget.get("granted").stringValue()).isEqualTo("7.5");
    assertThat(budget.get("limit").isNull()).isTrue();
    assertThat(budget.get("remaining").isNull()).isTrue();
    assertThat(budget.get("enforce").booleanValue()).isTrue();
    JsonNode rpm = answer.get("leases").get(1);
    assertThat(rpm.get("granted").stringValue()).isEqualTo("500");
    assertThat(rpm.get("limit").isNull()).isTrue();
    assertThat(Instant.parse(rpm.get("reset_at").stringValue())).isEqualTo(Instant.parse(minute).plusSeconds(60));
    assertThat(answer.get("leases").get(2).get("granted").stringValue()).isEqualTo("4");
  }

  @Test
  void aRateLimitWithoutThisKindIsNoLimitOfIt() {
    UUID key = UUID.randomUUID();
    rateLimit("key", key, 60, null, null);

    JsonNode answer = call(unique("node"), lease("key", key, "rpm", currentMinute(), "0", "100"),
        lease("key", key, "tpm", currentMinute(), "0", "100000"));

    assertThat(answer.get("leases").get(0).get("granted").stringValue()).isEqualTo("60");
    assertThat(answer.get("leases").get(0).get("limit").stringValue()).isEqualTo("60");
    assertThat(answer.get("leases").get(1).get("granted").stringValue()).isEqualTo("100000");
    assertThat(answer.get("leases").get(1).get("limit").isNull()).isTrue();
  }

  @Test
  void rpmAndTpmCountWhatEveryNodeUsedInTheMinute() {
    UUID team = UUID.randomUUID();
    rateLimit("team", team, 10, 1000, null);
    String minute = currentMinute();
    String a = unique("node-a");
    String b = unique("node-b");

    call(a, lease("team", team, "rpm", minute, "4", "4"), lease("team", team, "tpm", minute, "300", "300"));
    JsonNode answer = call(b, lease("team", team, "rpm", minute, "0", "10"),
        lease("team", team, "tpm", minute, "0", "1000"));

    assertThat(answer.get("leases").get(0).get("granted").stringValue()).isEqualTo("6");
    assertThat(answer.get("leases").get(1).get("granted").stringValue()).isEqualTo("700");
    assertThat(consumed(team, "rpm")).isEqualByComparingTo("4");
    assertThat(consumed(team, "tpm")).isEqualByComparingTo("300");
  }

  // --- a budget counter starts from recorded spend --------------------------------------------------------------

  private void usage(Instant hour, UUID org, UUID team, UUID key, String costUsd) {
    jdbc.sql("""
        INSERT INTO usage_hourly (hour, org_id, team_id, key_id, provider, model, requests, cost_usd)
        VALUES (?::timestamptz, ?, ?, ?, 'openai', ?, 1, ?::numeric)""")
        .params(hour.toString(), org, team, key, unique("model"), costUsd).update();
  }

  @Test
  void aBudgetCounterStartsFromTheSpendRecordedInItsPeriod() {
    Instant now = Instant.now();
    Instant monthStart = LocalDate.ofInstant(now, ZoneOffset.UTC).withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC)
        .toInstant();
    Instant thisHour = now.truncatedTo(ChronoUnit.HOURS);
    UUID org = budget("org", "100", "monthly");
    UUID team = budget("team", "50", "monthly");
    UUID otherTeam = UUID.randomUUID();
    UUID key = budget("key", "10", "monthly");
    UUID otherKey = UUID.randomUUID();
    usage(monthStart, org, team, key, "1.25");
    usage(thisHour, org, team, key, "2.5");
    usage(monthStart.minus(Duration.ofHours(1)), org, team, key, "4");
    usage(thisHour, org, team, otherKey, "3");
    usage(thisHour, org, otherTeam, UUID.randomUUID(), "6");
    usage(thisHour, UUID.randomUUID(), team, key, "0.125");
    String window = monthStart.toString();

    JsonNode answer = call(unique("node"), lease("key", key, "budget", window, "0", "1"),
        lease("team", team, "budget", window, "0", "1"), lease("org", org, "budget", window, "0", "1"));

    // key: 1.25 + 2.5 + 0.125 this month (last month's 4 does not count); 1 of the rest is now held.
    assertThat(consumed(key, "budget")).isEqualByComparingTo("3.875");
    assertThat(remaining(answer.get("leases").get(0))).isEqualByComparingTo("5.125");
    assertThat(consumed(team, "budget")).isEqualByComparingTo("6.875");
    assertThat(consumed(org, "budget")).isEqualByComparingTo("12.75");
    assertThat(remaining(answer.get("leases").get(1))).isEqualByComparingTo("42.125");
    assertThat(remaining(answer.get("leases").get(2))).isEqualByComparingTo("86.25");
    assertThat(Instant.parse(answer.get("leases").get(0).get("reset_at").stringValue()))
        .isEqualTo(LocalDate.ofInstant(monthStart, ZoneOffset.UTC).plusMonths(1).atStartOfDay(ZoneOffset.UTC)
            .toInstant());

    // Spend recorded later is the nodes' to report: the counter is not read from usage again.
    usage(thisHour, org, team, key, "1");
    grant(unique("node"), lease("key", key, "budget", window, "0", "1"));
    assertThat(consumed(key, "budget")).isEqualByComparingTo("3.875");
  }

  // --- the headline property ------------------------------------------------------------------------------------

  /**
   * A node as the lease protocol sees it: it spends only what it was granted (budget dollars, requests of the
   * minute) and reports what it spent. Its threads spend and call concurrently, so it asks for the same total every
   * time; then no answer can shrink its grant, and the largest grant it has seen is one it still holds.
   */
  private static final class SimNode {
    final String id;
    long requests;
    long requestsGranted;
    BigDecimal spent = BigDecimal.ZERO;
    BigDecimal spendGranted = BigDecimal.ZERO;
    long slotsGranted;

    SimNode(String id) {
      this.id = id;
    }

    /** Spends what its grants allow and returns the report of it, leases in random order. */
    synchronized String spendAndReport(UUID key, String minute, Random random) {
      if (requests < requestsGranted) {
        requests++;
      }
      BigDecimal cost = new BigDecimal(random.nextInt(10, 70)).movePointLeft(3);
      BigDecimal left = spendGranted.subtract(spent);
      if (left.signum() > 0) {
        spent = spent.add(cost.min(left));
      }
      long inFlight = slotsGranted == 0 ? 0 : random.nextLong(slotsGranted + 1);
      List<String> leases = new ArrayList<>(List.of(lease("key", key, "rpm", minute, Long.toString(requests), "25"),
          lease("key", key, "budget", TOTAL, spent.toPlainString(), "0.40"),
          lease("key", key, "concurrency", null, Long.toString(inFlight), "2")));
      Collections.shuffle(leases, random);
      return body(id, leases.toArray(String[]::new));
    }

    synchronized void take(JsonNode answer) {
      for (JsonNode lease : answer.get("leases")) {
        BigDecimal granted = new BigDecimal(lease.get("granted").stringValue());
        switch (lease.get("kind").stringValue()) {
          case "rpm" -> requestsGranted = Math.max(requestsGranted, granted.longValueExact());
          case "budget" -> spendGranted = spendGranted.max(granted);
          case "concurrency" -> slotsGranted = Math.max(slotsGranted, granted.longValueExact());
          default -> throw new AssertionError("unexpected kind in " + answer);
        }
      }
    }

    synchronized String state() {
      return requests + "/" + requestsGranted + " " + spent + "/" + spendGranted + " " + slotsGranted;
    }
  }

  private static String state(List<SimNode> nodes) {
    return nodes.stream().map(SimNode::state).collect(Collectors.joining(", "));
  }

  private static HttpResponse<String> postTo(String baseUrl, String json) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + "/internal/v1/leases"))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + NODE_TOKEN)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void threeNodesHammeringOneKeyThroughTwoReplicasNeverTogetherExceedItsLimits() throws Exception {
    UUID key = UUID.randomUUID();
    jdbc.sql("INSERT INTO budgets (scope_type, scope_id, limit_usd, period) VALUES ('key', ?, 1.00, 'total')")
        .param(key).update();
    rateLimit("key", key, 60, null, 5);
    List<SimNode> nodes = IntStream.range(0, 3).mapToObj(i -> new SimNode(unique("hammer-" + i))).toList();
    int threadsPerNode = 8;
    int callsPerThread = 25;
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    try (ConfigurableApplicationContext replica = startReplica(Map.of())) {
      List<String> replicas = List.of(baseUrl(), baseUrlOf(replica));
      String minute = currentMinute();
      ExecutorService pool = Executors.newFixedThreadPool(nodes.size() * threadsPerNode);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> work = new ArrayList<>();
      for (SimNode node : nodes) {
        for (int t = 0; t < threadsPerNode; t++) {
          long seed = node.id.hashCode() * 31L + t;
          work.add(pool.submit(() -> {
            Random random = new Random(seed);
            start.await();
            for (int i = 0; i < callsPerThread; i++) {
              HttpResponse<String> response = postTo(replicas.get(random.nextInt(replicas.size())),
                  node.spendAndReport(key, minute, random));
              if (response.statusCode() != 200) {
                failures.add(response.statusCode() + " " + response.body());
              } else {
                node.take(JSON.readTree(response.body()));
              }
            }
            return null;
          }));
        }
      }
      start.countDown();
      for (Future<?> f : work) {
        f.get(2, TimeUnit.MINUTES);
      }
      pool.shutdown();

      // Then one node at a time until a whole round changes nothing: what is still free gets granted, what is
      // granted gets spent, and the last spending gets reported.
      Random random = new Random(7);
      String before = "";
      for (int round = 0; round < 500 && !before.equals(state(nodes)); round++) {
        before = state(nodes);
        for (SimNode node : nodes) {
          HttpResponse<String> response = postTo(replicas.get(round % 2), node.spendAndReport(key, minute, random));
          assertThat(response.statusCode()).as(response::body).isEqualTo(200);
          node.take(JSON.readTree(response.body()));
        }
      }
    }

    assertThat(failures).as("answers other than 200").isEmpty();
    long requests = nodes.stream().mapToLong(n -> n.requests).sum();
    BigDecimal spent = nodes.stream().map(n -> n.spent).reduce(BigDecimal.ZERO, BigDecimal::add);
    assertThat(requests).isEqualTo(60);
    assertThat(spent).isEqualByComparingTo("1.00");
    assertThat(sumUsed(key, "rpm")).isEqualByComparingTo("60");
    assertThat(consumed(key, "rpm")).isEqualByComparingTo("60");
    assertThat(sumUsed(key, "budget")).isEqualByComparingTo("1.00");
    assertThat(consumed(key, "budget")).isEqualByComparingTo("1.00");
    assertThat(jdbc.sql("""
        SELECT coalesce(sum(granted), 0) FROM limit_leases
        WHERE scope_id = ? AND kind = 'concurrency' AND released_at IS NULL AND expires_at > now()""")
        .param(key).query(BigDecimal.class).single()).isLessThanOrEqualTo(new BigDecimal(5));
    // More than one node got a share: the split itself was contended, not just the first come.
    assertThat(nodes.stream().filter(n -> n.requests > 0).count()).isGreaterThan(1);
  }

  // --- windows --------------------------------------------------------------------------------------------------

  @Test
  void refusesWindowsThatAreNotCurrent() {
    UUID key = budget("key", "10", "daily");
    rateLimit("key", key, 60, null, 5);
    Instant now = Instant.now();
    String node = unique("node");
    String previousMinute = now.truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(1)).toString();
    String today = now.truncatedTo(ChronoUnit.DAYS).toString();

    grant(node, lease("key", key, "rpm", previousMinute, "0", "1"));
    grant(node, lease("key", key, "budget", today, "0", "1"));

    String old = message(assertApiError(post(body(node, lease("key", key, "rpm", currentMinute(), "3", "5"),
        lease("key", key, "rpm", now.truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(5)).toString(), "0",
            "1"))), 400, "leases[1].window_start"));
    assertThat(old).contains("is not the current minute", "server time");
    assertApiError(post(body(node, lease("key", key, "rpm", now.plus(Duration.ofMinutes(3))
        .truncatedTo(ChronoUnit.MINUTES).toString(), "0", "1"))), 400, "leases[0].window_start");
    assertApiError(post(body(node, lease("key", key, "tpm", now.truncatedTo(ChronoUnit.MINUTES).plusSeconds(30)
        .toString(), "0", "1"))), 400, "leases[0].window_start");
    String twoDaysAgo = now.truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(2)).toString();
    assertThat(message(assertApiError(post(body(node, lease("key", key, "budget", twoDaysAgo, "0", "1"))), 400,
        "leases[0].window_start"))).contains("the current daily period");
    assertApiError(post(body(node, lease("key", key, "budget", now.truncatedTo(ChronoUnit.HOURS).plus(
        Duration.ofMinutes(1)).toString(), "0", "1"))), 400, "leases[0].window_start");
    assertApiError(post(body(node, lease("key", key, "concurrency", today, "0", "1"))), 400,
        "leases[0].window_start");
    assertApiError(post(body(node, lease("key", key, "budget", null, "0", "1"))), 400, "leases[0].window_start");
    assertApiError(post(body(node, lease("key", key, "budget", "yesterday", "0", "1"))), 400,
        "leases[0].window_start");
    // A refused call changes nothing, not even the valid leases before the bad one.
    assertThat(sumUsed(key, "rpm")).isEqualByComparingTo("0");
  }

  @Test
  void aWindowOfABudgetWhosePeriodChangedKeepsWhatItHoldsAndGetsNoMore() {
    UUID key = budget("key", "10", "total");
    String node = unique("node");
    assertThat(granted(grant(node, lease("key", key, "budget", TOTAL, "0.5", "2")))).isEqualByComparingTo("2");

    jdbc.sql("UPDATE budgets SET period = 'daily' WHERE scope_id = ?").param(key).update();

    JsonNode stale = grant(node, lease("key", key, "budget", TOTAL, "1", "5"));
    assertThat(granted(stale)).isEqualByComparingTo("2");
    assertThat(stale.get("limit").stringValue()).isEqualTo("10");
    assertThat(stale.get("remaining").stringValue()).isEqualTo("0");
    Instant tomorrow = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(Duration.ofDays(1));
    assertThat(Instant.parse(stale.get("reset_at").stringValue())).isIn(tomorrow, tomorrow.plus(Duration.ofDays(1)));
    assertThat(consumed(key, "budget")).isEqualByComparingTo("1");
  }

  // --- errors ---------------------------------------------------------------------------------------------------

  @Test
  void refusesCallsWithoutTheNodeToken() {
    String json = body("n", lease("key", UUID.randomUUID(), "budget", TOTAL, "0", "1"));

    assertApiError(anonymous().send("POST", "/internal/v1/leases", "application/json", json), 401, null);
    assertApiError(admin().send("POST", "/internal/v1/leases", "application/json", json), 401, null);
    assertApiError(bearer("wrong").send("POST", "/internal/v1/leases", "application/json", json), 401, null);
  }

  @Test
  void namesTheFieldAtFaultInAMalformedCall() {
    UUID id = UUID.randomUUID();
    String ok = lease("key", id, "budget", TOTAL, "0", "1");
    String minute = currentMinute();

    assertApiError(post("{\"leases\": []}"), 400, "node_id");
    assertApiError(post("{\"node_id\": \"a/b\", \"leases\": []}"), 400, "node_id");
    assertApiError(post("{\"node_id\": \"n\"}"), 400, "leases");
    assertApiError(post("{\"node_id\": \"n\", \"leases\": [" + ok + ", null]}"), 400, "leases[1]");
    assertApiError(post(body("n", ok, lease("org", id, "budget", TOTAL, "0", "1"),
        lease("galaxy", id, "budget", TOTAL, "0", "1"))), 400, "leases[2].scope_type");
    assertApiError(post(body("n", ok, lease("team", UUID.randomUUID(), "budget", TOTAL, "0", "1"),
        lease("key", UUID.randomUUID(), "budget", TOTAL, "0", "1"),
        lease("key", UUID.randomUUID(), "budget", TOTAL, "0", "-1"))), 400, "leases[3].want");
    assertApiError(post(body("n", ok.replace(id.toString(), "1-2-3-4-5"))), 400, "leases[0].scope_id");
    assertApiError(post(body("n", ok.replace(id.toString(), "not-a-uuid"))), 400, "leases[0].scope_id");
    assertApiError(post(body("n", lease("key", id, "rph", minute, "0", "1"))), 400, "leases[0].kind");
    assertApiError(post(body("n", lease("key", id, "rpm", minute, "0.5", "1"))), 400, "leases[0].used");
    assertApiError(post(body("n", lease("key", id, "tpm", minute, "0", "1.25"))), 400, "leases[0].want");
    assertApiError(post(body("n", lease("key", id, "budget", TOTAL, "-0.01", "1"))), 400, "leases[0].used");
    assertApiError(post(body("n", lease("key", id, "budget", TOTAL, "0", "1E+20"))), 400, "leases[0].want");
    assertApiError(post(body("n", ok.replace("\"used\": \"0\"", "\"used\": \"lots\""))), 400, "leases[0].used");
    assertApiError(post(body("n", ok.replace(", \"want\": \"1\"", ""))), 400, "leases[0].want");
    assertApiError(post(body("n", ok.replace("\"used\": \"0\", ", ""))), 400, "leases[0].used");
    assertApiError(post(body("n", ok, ok)), 400, "leases[1]");
    String tooMany = IntStream.range(0, LeaseService.MAX_LEASES + 1)
        .mapToObj(i -> lease("key", UUID.randomUUID(), "budget", TOTAL, "0", "1")).collect(Collectors.joining(","));
    assertApiError(post("{\"node_id\": \"n\", \"leases\": [" + tooMany + "]}"), 400, "leases");
    assertApiError(post("{\"node_id\": \"n\", \"leases\": [" + ok), 400, null);
    assertThat(jdbc.sql("SELECT count(*) FROM limit_leases WHERE scope_id = ?").param(id).query(Long.class)
        .single()).isZero();
  }

  @Test
  void takesAmountsAsNumbersAndRoundsDollarsSoThatNodesNeverGainByIt() {
    UUID key = budget("key", "1", "total");
    String node = unique("node");

    JsonNode answer = call(node, """
        {"scope_type": "key", "scope_id": "%s", "kind": "budget", "window_start": "%s",
         "used": 0.1234567891, "want": 0.5555555559}""".formatted(key, TOTAL));

    assertThat(answer.get("leases").get(0).get("granted").stringValue()).isEqualTo("0.555555555");
    assertThat(consumed(key, "budget")).isEqualByComparingTo("0.123456790");
  }

  @Test
  void answers503WhenPostgresIsUnreachable() throws Exception {
    // A replica on a database of its own, which then stops taking connections and loses the ones it had.
    TestDatabase own = TestDatabases.create("lease_503");
    try (ConfigurableApplicationContext replica = startReplica(Map.of("spring.datasource.url", own.jdbcUrl(),
        "spring.datasource.hikari.connection-timeout", "1000"))) {
      String body = body(unique("node"), lease("key", UUID.randomUUID(), "budget", TOTAL, "0", "1"));
      assertThat(postTo(baseUrlOf(replica), body).statusCode()).isEqualTo(200);
      jdbc.sql("ALTER DATABASE " + own.name() + " ALLOW_CONNECTIONS false").update();
      jdbc.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ?").param(own.name())
          .query(Long.class).single();

      HttpResponse<String> response = postTo(baseUrlOf(replica), body);

      assertThat(response.statusCode()).as(response::body).isEqualTo(503);
      assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
          type -> assertThat(type).startsWith("application/json"));
      JsonNode error = JSON.readTree(response.body()).get("error");
      assertThat(error.get("message").stringValue()).contains("database");
      assertThat(response.body()).doesNotContain("Exception", "at org.", "jdbc:postgresql");
    } finally {
      jdbc.sql("ALTER DATABASE " + own.name() + " ALLOW_CONNECTIONS true").update();
    }
  }

  // --- cleanup --------------------------------------------------------------------------------------------------

  private void insertLease(String nodeId, UUID scopeId, String kind, Instant windowStart, Instant expiresAt,
      Instant releasedAt) {
    jdbc.sql("""
        INSERT INTO limit_counters (scope_type, scope_id, kind, window_start) VALUES ('key', ?, ?, ?::timestamptz)
        ON CONFLICT DO NOTHING""").params(scopeId, kind, windowStart.toString()).update();
    jdbc.sql("""
        INSERT INTO limit_leases (node_id, scope_type, scope_id, kind, window_start, granted, used, want, expires_at,
                                  released_at)
        VALUES (?, 'key', ?, ?, ?::timestamptz, 1, 1, 1, ?::timestamptz, ?::timestamptz)""")
        .params(nodeId, scopeId, kind, windowStart.toString(), expiresAt.toString(),
            releasedAt == null ? null : releasedAt.toString()).update();
  }

  private List<String> leaseNodes(UUID scopeId) {
    return jdbc.sql("SELECT node_id FROM limit_leases WHERE scope_id = ? ORDER BY node_id").param(scopeId)
        .query(String.class).list();
  }

  @Test
  void theCleanupDeletesOldMinutesAndEndedConcurrencyLeasesOnly() {
    Instant now = Instant.now();
    Instant minute = now.truncatedTo(ChronoUnit.MINUTES);
    UUID rpm = UUID.randomUUID();
    UUID concurrency = UUID.randomUUID();
    UUID budget = UUID.randomUUID();
    insertLease("old", rpm, "rpm", minute.minus(Duration.ofMinutes(20)), minute.minus(Duration.ofMinutes(19)), null);
    insertLease("recent", rpm, "rpm", minute.minus(Duration.ofMinutes(2)), now.minusSeconds(60), null);
    insertLease("released", concurrency, "concurrency", Instant.EPOCH, now.minusSeconds(300), now.minusSeconds(120));
    insertLease("expired", concurrency, "concurrency", Instant.EPOCH, now.minusSeconds(120), null);
    insertLease("just-ended", concurrency, "concurrency", Instant.EPOCH, now.minusSeconds(5), null);
    insertLease("live", concurrency, "concurrency", Instant.EPOCH, now.plusSeconds(10), null);
    insertLease("long-expired", budget, "budget", Instant.EPOCH, now.minus(Duration.ofDays(3)), null);

    assertThat(cleanup.cleanup()).isTrue();

    assertThat(leaseNodes(rpm)).containsExactly("recent");
    assertThat(jdbc.sql("SELECT count(*) FROM limit_counters WHERE scope_id = ?").param(rpm).query(Long.class)
        .single()).isEqualTo(1);
    assertThat(leaseNodes(concurrency)).containsExactly("just-ended", "live");
    assertThat(leaseNodes(budget)).containsExactly("long-expired");
  }
}
