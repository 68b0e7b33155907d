package dev.spillway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.dataplane.SpillwayNode;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Budgets and rate limits that hold across three nodes and the real control plane (issue 10's acceptance): a
 * prepaid budget under 200 concurrent requests, a requests-per-minute limit driven at five times its rate, a
 * concurrency limit with slow streams, and reservations that all clear after errors, timeouts and disconnects.
 * The fake provider reports fixed usage (20 input, 100 output tokens) at a fixed price ($10 per million each), so
 * every request costs $0.0012; the node estimates it at about $0.00126 (the body's bytes over three, and
 * {@code max_tokens}), so no request costs more than it reserved.
 */
@ExtendWith(NoLeaksExtension.class)
class GovernanceAcrossNodesIT {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final BigDecimal REQUEST_COST = new BigDecimal("0.0012");

  static Stack stack;
  static FakeProvider provider;
  static Path dir;
  static String teamId;
  static List<SpillwayNode> nodes = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("e2e-governance");
    provider = FakeProvider.start();
    stack = new Stack("e2e_governance").startControlPlane(Map.of());
    teamId = JSON.readTree(stack.admin("POST", "/api/v1/teams", "{\"name\":\"gov\"}").body()).path("id").asString();
    stack.admin("POST", "/api/v1/providers", "{\"name\":\"fake\",\"type\":\"openai\",\"base_url\":\""
        + provider.baseUrl() + "\",\"keys\":[{\"name\":\"k\",\"value\":\"sk-fake-provider-000000\"}]}");
    stack.admin("POST", "/api/v1/routes", "{\"model\":\"gpt\",\"targets\":[{\"provider\":\"fake\",\"model\":\"m\"}]}");
    assertThat(stack.admin("PUT", "/api/v1/prices/fake/m", "{\"input_per_mtok_usd\":10,\"output_per_mtok_usd\":10}")
        .statusCode()).isEqualTo(200);
    for (String name : List.of("a", "b", "c")) {
      nodes.add(stack.startNode(dir.resolve(name), stack.controlPlaneUri()));
    }
  }

  @AfterAll
  static void stop() {
    nodes.forEach(SpillwayNode::close);
    stack.close();
    provider.close();
  }

  @BeforeEach
  void answerWithFixedUsage() {
    // The faults case opens the provider's breakers on purpose; the next case starts from fresh nodes' view.
    nodes.forEach(node -> node.routingHealth().clear());
    provider.reset();
    provider.respondWith(FakeResponse.chat().usage(20, 100));
  }

  /** A key with {@code limits} (JSON fields of the key), once every node serves the snapshot that has it. */
  static String key(String limits) throws Exception {
    String key = JSON.readTree(stack.admin("POST", "/api/v1/virtual-keys", "{\"name\":\"k-" + System.nanoTime()
        + "\",\"team_id\":\"" + teamId + "\"," + limits + "}").body()).path("key").asString();
    stack.awaitCurrentSnapshot(nodes);
    return key;
  }

  static HttpResponse<String> chat(SpillwayNode node, String key, String extra) {
    return stack.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/v1/chat/completions"))
        .header("Authorization", "Bearer " + key)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt\",\"max_tokens\":100,\"messages\":[{\"role\":"
            + "\"user\",\"content\":\"hi\"}]" + extra + "}"))
        .build());
  }

  static BigDecimal recordedSpend(String requestIdsSql) throws Exception {
    try (Connection c = stack.db.connect(); ResultSet rs = c.createStatement().executeQuery(
        "SELECT coalesce(sum(cost_usd), 0) FROM usage_events WHERE request_id IN (" + requestIdsSql + ")")) {
      rs.next();
      return rs.getBigDecimal(1);
    }
  }

  static String quoted(Set<String> ids) {
    return ids.isEmpty() ? "''" : String.join(",", ids.stream().map(id -> "'" + id + "'").toList());
  }

  @Test
  void aPrepaidBudgetHoldsUnder200ConcurrentRequestsOverThreeNodes() throws Exception {
    String key = key("\"budget\":{\"limit_usd\":1.00,\"period\":\"total\"}");
    Set<String> served = ConcurrentHashMap.newKeySet();
    AtomicInteger refused = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(200);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < 1200; i++) {
        SpillwayNode node = nodes.get(i % 3);
        futures.add(clients.submit(() -> {
          HttpResponse<String> response = chat(node, key, "");
          if (response.statusCode() == 200) {
            served.add(response.headers().firstValue("x-request-id").orElseThrow());
          } else {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(429);
            assertThat(JSON.readTree(response.body()).path("error").path("code").asString())
                .isEqualTo("budget_exceeded");
            assertThat(response.headers().firstValue("x-should-retry")).hasValue("false");
            refused.incrementAndGet();
          }
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      clients.shutdown();
    }

    System.out.printf("budget $1.00 over 3 nodes: %d served ($%s), %d refused%n", served.size(),
        REQUEST_COST.multiply(BigDecimal.valueOf(served.size())), refused.get());
    // Each request costs no more than it reserved, so nothing may exceed the budget (docs/governance.md: the bound
    // for requests that set max_tokens is the input estimate's error, zero here).
    assertThat(BigDecimal.valueOf(served.size()).multiply(REQUEST_COST)).isLessThanOrEqualTo(new BigDecimal("1.00"));
    assertThat(served.size()).as("most of the budget is usable across three nodes").isGreaterThanOrEqualTo(700);
    assertThat(refused.get()).isEqualTo(1200 - served.size());
    assertThat(provider.requestCount()).isEqualTo(served.size());
    await().atMost(Duration.ofSeconds(20)).until(() -> recordedSpend(quoted(served))
        .compareTo(REQUEST_COST.multiply(BigDecimal.valueOf(served.size()))) == 0);
  }

  @Test
  void aRequestsPerMinuteLimitHoldsAcrossThreeNodesAtFiveTimesItsRate() throws Exception {
    String key = key("\"rate_limit\":{\"rpm\":60}");
    Map<Long, AtomicInteger> acceptedByMinute = new ConcurrentHashMap<>();
    List<long[]> retryAfterChecks = new java.util.concurrent.CopyOnWriteArrayList<>();
    // 5 requests per second for a little over two minutes, spread over the nodes.
    Instant end = Instant.now().plusSeconds(125);
    ExecutorService clients = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> futures = new ArrayList<>();
      int i = 0;
      long next = System.nanoTime();
      while (Instant.now().isBefore(end)) {
        SpillwayNode node = nodes.get(i++ % 3);
        futures.add(clients.submit(() -> {
          HttpResponse<String> response = chat(node, key, "");
          long now = System.currentTimeMillis();
          if (response.statusCode() == 200) {
            acceptedByMinute.computeIfAbsent(now / 60_000, m -> new AtomicInteger()).incrementAndGet();
          } else {
            assertThat(response.statusCode()).isEqualTo(429);
            long retryAfter = Long.parseLong(response.headers().firstValue("retry-after").orElseThrow());
            retryAfterChecks.add(new long[] {retryAfter, 60 - (now % 60_000) / 1000});
          }
        }));
        next += 200_000_000L;
        long sleep = next - System.nanoTime();
        if (sleep > 0) {
          java.util.concurrent.locks.LockSupport.parkNanos(sleep);
        }
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      clients.shutdown();
    }

    System.out.println("rpm 60 over 3 nodes at 5/s, accepted by minute: " + new java.util.TreeMap<>(acceptedByMinute)
        + ", refusals " + retryAfterChecks.size());
    assertThat(acceptedByMinute).isNotEmpty();
    acceptedByMinute.forEach((minute, accepted) ->
        assertThat(accepted.get()).as("accepted in minute " + minute).isLessThanOrEqualTo(60));
    assertThat(acceptedByMinute.values().stream().mapToInt(AtomicInteger::get).max().orElse(0))
        .as("a full minute gets (nearly) its 60").isGreaterThanOrEqualTo(50);
    assertThat(retryAfterChecks).isNotEmpty();
    for (long[] check : retryAfterChecks) {
      // Retry-After is the seconds to the minute's end, rounded up: right to the second (±1 for the rounding of
      // the client's own reading of the clock).
      assertThat(check[0]).isBetween(check[1] - 1, check[1] + 1);
    }
  }

  @Test
  void everyReservationClearsAfterErrorsTimeoutsAndDisconnects() throws Exception {
    String key = key("\"budget\":{\"limit_usd\":1000,\"period\":\"monthly\"},"
        + "\"rate_limit\":{\"max_concurrent\":50,\"tpm\":100000000}");
    List<FakeResponse> answers = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      answers.add(switch (i % 8) {
        case 0, 1 -> FakeResponse.error(500, "injected failure");
        case 2 -> FakeResponse.dropConnection();
        case 3 -> FakeResponse.chat().usage(20, 100).delay(Duration.ofMillis(400)); // the client leaves first
        case 4 -> FakeResponse.stream().chunkCount(3).usage(20, 100);
        default -> FakeResponse.chat().usage(20, 100);
      });
    }
    java.util.Collections.shuffle(answers, new java.util.Random(7));
    provider.enqueue(answers.toArray(FakeResponse[]::new));
    ExecutorService clients = Executors.newFixedThreadPool(24);
    java.net.http.HttpClient impatient = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
    Set<String> answered = ConcurrentHashMap.newKeySet();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        SpillwayNode node = nodes.get(i % 3);
        boolean stream = i % 5 == 0;
        futures.add(clients.submit(() -> {
          HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port()
                  + "/v1/chat/completions"))
              .timeout(Duration.ofMillis(200))
              .header("Authorization", "Bearer " + key)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt\",\"max_tokens\":100,\"messages\":"
                  + "[{\"role\":\"user\",\"content\":\"hi\"}]" + (stream ? ",\"stream\":true" : "") + "}"))
              .build();
          try {
            HttpResponse<String> response = impatient.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
              answered.add(response.headers().firstValue("x-request-id").orElseThrow());
            }
          } catch (java.net.http.HttpTimeoutException e) {
            // the client gave up: the node sees a disconnect
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      clients.shutdown();
    }

    await().atMost(Duration.ofSeconds(20)).until(() -> nodes.stream()
        .allMatch(n -> n.governanceInFlightClaims() == 0));
    // What was recorded is what the provider reported for the answers that reached the client: 120 tokens each.
    await().atMost(Duration.ofSeconds(20)).until(() -> recordedSpend(quoted(answered))
        .compareTo(REQUEST_COST.multiply(BigDecimal.valueOf(answered.size()))) == 0);
    assertThat(answered).isNotEmpty();
  }

  @Test
  void aConcurrencyLimitHoldsAcrossThreeNodesWithSlowStreams() throws Exception {
    String key = key("\"rate_limit\":{\"max_concurrent\":5}");
    CompletableFuture<Void> release = new CompletableFuture<>();
    provider.respondWith(FakeResponse.stream().chunkCount(4).usage(20, 100).holdAfter(2, release));
    ExecutorService clients = Executors.newFixedThreadPool(15);
    List<Future<HttpResponse<String>>> futures = new ArrayList<>();
    try {
      for (int i = 0; i < 15; i++) {
        SpillwayNode node = nodes.get(i % 3);
        futures.add(clients.submit(() -> chat(node, key, ",\"stream\":true")));
      }
      // Every request is either held open at the provider or refused; the ones held are at most five.
      await().atMost(Duration.ofSeconds(15)).until(() -> provider.requestCount()
          + futures.stream().filter(Future::isDone).count() == 15);
      assertThat(provider.requestCount()).isBetween(1, 5);
      release.complete(null);
      int ok = 0;
      for (Future<HttpResponse<String>> f : futures) {
        HttpResponse<String> response = f.get();
        if (response.statusCode() == 200) {
          ok++;
        } else {
          assertThat(JSON.readTree(response.body()).path("error").path("code").asString())
              .isEqualTo("rate_limit_exceeded");
        }
      }
      assertThat(ok).isEqualTo(provider.requestCount());
    } finally {
      release.complete(null);
      clients.shutdown();
    }
    // The slots come back: five requests at once succeed again.
    provider.respondWith(FakeResponse.chat().usage(20, 100));
    await().atMost(Duration.ofSeconds(10)).until(() -> chat(nodes.get(0), key, "").statusCode() == 200);
  }
}
