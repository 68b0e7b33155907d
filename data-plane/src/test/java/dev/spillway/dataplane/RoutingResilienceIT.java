package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.BreakerConfig;
import dev.spillway.config.ProviderType;
import dev.spillway.config.RetryConfig;
import dev.spillway.config.RouteConfig;
import dev.spillway.config.RouteTargetConfig;
import dev.spillway.config.RoutingRuleConfig;
import dev.spillway.config.RoutingStrategy;
import dev.spillway.dataplane.routing.TargetHealth;
import dev.spillway.testsupport.ClosedPort;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * Routing that users do not notice failing (issue 11), against fake providers that are real servers: 429s with
 * {@code Retry-After} on one key, refused connections, 500s, in-band stream errors, slow answers and rate-limit
 * headers. One node; each case starts from a fresh node's view of its targets.
 */
@ExtendWith(NoLeaksExtension.class)
class RoutingResilienceIT {
  static final String KEY = "sk-sw-routing0000000000000000000000000000000000";
  static final String LIMITED_KEY = "sk-sw-routinglimited000000000000000000000000000";
  static final String META_KEY = "sk-sw-routingmeta0000000000000000000000000000000";
  static final BreakerConfig THREE_STRIKES = new BreakerConfig(3, null, null, null, 60_000L, null, null);

  static FakeProvider primary;
  static FakeProvider backup;
  static FakeProvider flaky;
  static FakeProvider streaming;
  static FakeProvider keyed;
  static FakeProvider fast;
  static FakeProvider slow;
  static ClosedPort dead;
  static ClosedPort gone;
  static ClosedPort down1;
  static ClosedPort down2;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    primary = FakeProvider.start();
    backup = FakeProvider.start();
    flaky = FakeProvider.start();
    streaming = FakeProvider.start();
    keyed = FakeProvider.start();
    fast = FakeProvider.start();
    slow = FakeProvider.start();
    dead = ClosedPort.reserve();
    gone = ClosedPort.reserve();
    down1 = ClosedPort.reserve();
    down2 = ClosedPort.reserve();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .key("t1", LIMITED_KEY, "lonely")
        .key("t1", META_KEY, Map.of("tier", "platinum"))
        .provider("primary", ProviderType.OPENAI_COMPATIBLE, primary.baseUrl(), "sk-p0", "sk-p1")
        .provider("backup", ProviderType.OPENAI_COMPATIBLE, backup.baseUrl(), "sk-b0")
        .provider("dead", ProviderType.OPENAI_COMPATIBLE, dead.baseUrl(), THREE_STRIKES, "sk-d0")
        .provider("gone", ProviderType.OPENAI_COMPATIBLE, gone.baseUrl(), "sk-g0")
        .provider("flaky", ProviderType.OPENAI_COMPATIBLE, flaky.baseUrl(),
            new BreakerConfig(2, null, null, null, 300L, null, null), "sk-f0")
        .provider("streamer", ProviderType.OPENAI_COMPATIBLE, streaming.baseUrl(), "sk-st0")
        .provider("sticky", ProviderType.OPENAI_COMPATIBLE, keyed.baseUrl(), "sk-s0", "sk-s1", "sk-s2")
        .provider("roomy", ProviderType.OPENAI_COMPATIBLE, keyed.baseUrl(), "sk-h0", "sk-h1")
        .provider("fast", ProviderType.OPENAI_COMPATIBLE, fast.baseUrl(), "sk-fast")
        .provider("slow", ProviderType.OPENAI_COMPATIBLE, slow.baseUrl(), "sk-slow")
        .provider("down1", ProviderType.OPENAI_COMPATIBLE, down1.baseUrl(), "sk-x1")
        .provider("down2", ProviderType.OPENAI_COMPATIBLE, down2.baseUrl(), "sk-x2")
        .provider("mA", ProviderType.MOCK, null)
        .provider("mB", ProviderType.MOCK, null)
        .route("rotating", List.of("primary/m"), List.of("backup/m"), RetryConfig.NONE)
        .route("failover", List.of("dead/x"), List.of("backup/y"), RetryConfig.NONE)
        .route("half", List.of("flaky/m"), List.of("backup/m"), RetryConfig.NONE)
        .route("streamy", List.of("streamer/m"), List.of("backup/m"), RetryConfig.NONE)
        .route("lonely", List.of("gone/x"), List.of(), RetryConfig.NONE)
        .route("gold", "backup/gold-model")
        .route("alldown", List.of("down1/x"), List.of("down2/y"), new RetryConfig(2, 5))
        .route(new RouteConfig("route-sticky", "sticky", List.of(new RouteTargetConfig("sticky", "m", 1)),
            List.of(), RetryConfig.NONE))
        .route(new RouteConfig("route-headroom", "headroom", List.of(new RouteTargetConfig("roomy", "m", 1)),
            List.of(), RetryConfig.NONE, RoutingStrategy.HEADROOM, false))
        .route(new RouteConfig("route-latency", "latency", List.of(new RouteTargetConfig("fast", "m", 1),
            new RouteTargetConfig("slow", "m", 1)), List.of(), RetryConfig.NONE, RoutingStrategy.LEAST_LATENCY,
            false))
        .route(new RouteConfig("route-weighted", "weighted", List.of(new RouteTargetConfig("mA", "m", 70),
            new RouteTargetConfig("mB", "m", 30)), List.of(), RetryConfig.NONE))
        .rule(new RoutingRuleConfig("rule-1", "gold header", 1, null, null, Map.of("x-tier", "gold"), "tiered-*",
            "gold"))
        .rule(new RoutingRuleConfig("rule-2", "platinum keys", 2, null, Map.of("tier", "platinum"), null, "meta-*",
            "gold"))
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("routing-it"), Map.of());
    TestNodes.awaitVersion(node, 1);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    node.close();
    controlPlane.close();
    for (FakeProvider fake : List.of(primary, backup, flaky, streaming, keyed, fast, slow)) {
      fake.close();
    }
    for (ClosedPort port : List.of(dead, gone, down1, down2)) {
      port.close();
    }
  }

  @BeforeEach
  void fresh() {
    node.routingHealth().clear();
    for (FakeProvider fake : List.of(primary, backup, flaky, streaming, keyed, fast, slow)) {
      fake.reset();
    }
  }

  // --- key rotation and rate limits ----------------------------------------------------------------------------

  @Test
  void a429OnOneKeyIsServedByTheProvidersOtherKeyAndThatKeyCoolsDown() throws Exception {
    primary.respondForKey("sk-p0", FakeResponse.error(429, "slow down").header("retry-after", "30"));

    List<HttpResponse<String>> responses = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      responses.add(post(chat("rotating", "hi " + i), KEY));
    }

    assertThat(responses).allSatisfy(r -> {
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("x-spillway-provider")).contains("primary");
    });
    // The limited key is asked at most once: after its 429 it cools down for the provider's Retry-After.
    assertThat(Collections.frequency(primary.apiKeys(), "sk-p0")).isLessThanOrEqualTo(1);
    assertThat(Collections.frequency(primary.apiKeys(), "sk-p1")).isEqualTo(20);
    assertThat(backup.requestCount()).isZero();
    if (primary.apiKeys().contains("sk-p0")) {
      assertThat(responses.stream().filter(r -> r.headers().firstValue("x-spillway-attempts").orElse("")
          .equals("2")).count()).isEqualTo(1);
    }
  }

  @Test
  void a429OnEveryKeyFallsBackToTheNextTargetAndTheClientSeesOne200() throws Exception {
    primary.respondWith(FakeResponse.error(429, "slow down").header("retry-after", "20"));

    HttpResponse<String> response = post(chat("rotating", "hi"), KEY);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("x-spillway-provider")).contains("backup");
    assertThat(response.headers().firstValue("x-spillway-attempts")).contains("3");
    assertThat(primary.apiKeys()).containsExactlyInAnyOrder("sk-p0", "sk-p1");

    // Both keys cool down: the next request goes straight to the fallback.
    HttpResponse<String> next = post(chat("rotating", "again"), KEY);
    assertThat(next.headers().firstValue("x-spillway-attempts")).contains("1");
    assertThat(primary.requestCount()).isEqualTo(2);
  }

  @Test
  void aRefusedKeyIsTakenOutUntilTheNextSnapshot() throws Exception {
    primary.respondForKey("sk-p1", FakeResponse.error(401, "invalid api key"));

    for (int i = 0; i < 10; i++) {
      assertThat(post(chat("rotating", "hi"), KEY).statusCode()).isEqualTo(200);
    }

    assertThat(Collections.frequency(primary.apiKeys(), "sk-p1")).isLessThanOrEqualTo(1);
    assertThat(backup.requestCount()).isZero();
  }

  @Test
  void headroomSendsNothingToAKeyWhoseProviderReportsNoneRemaining() throws Exception {
    keyed.respondForKey("sk-h0", FakeResponse.chat().rateLimits(0, 100_000, Duration.ofSeconds(60)));
    keyed.respondForKey("sk-h1", FakeResponse.chat().rateLimits(500, 100_000, Duration.ofSeconds(60)));

    for (int i = 0; i < 60; i++) {
      assertThat(post(chat("headroom", "hi"), KEY).statusCode()).isEqualTo(200);
    }

    // At most the one request that learned the key was exhausted.
    assertThat(Collections.frequency(keyed.apiKeys(), "sk-h0")).isLessThanOrEqualTo(1);
  }

  // --- breakers ------------------------------------------------------------------------------------------------

  @Test
  void onceThePrimarysBreakerIsOpenRequestsGoStraightToTheFallback() throws Exception {
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> failingOver = post(chat("failover", "hi"), KEY);
      assertThat(failingOver.statusCode()).isEqualTo(200);
      assertThat(failingOver.headers().firstValue("x-spillway-attempts")).contains("2");
    }
    assertThat(health("dead").breakerState()).isEqualTo("open");

    for (int i = 0; i < 20; i++) {
      HttpResponse<String> direct = post(chat("failover", "hi"), KEY);
      assertThat(direct.statusCode()).isEqualTo(200);
      assertThat(direct.headers().firstValue("x-spillway-provider")).contains("backup");
      assertThat(direct.headers().firstValue("x-spillway-attempts")).contains("1");
    }
    HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(TestNodes.adminUri(node, "/metrics")).GET()
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.body()).contains("spillway_breaker_state{key=\"k0\",model=\"x\",provider=\"dead\"} 2.0");
  }

  @Test
  void anOpenBreakerLetsOneProbeThroughAfterItsWaitAndClosesWhenItSucceeds() throws Exception {
    flaky.enqueue(FakeResponse.error(500, "oops"), FakeResponse.error(500, "oops again"));
    assertThat(post(chat("half", "1"), KEY).headers().firstValue("x-spillway-provider")).contains("backup");
    assertThat(post(chat("half", "2"), KEY).headers().firstValue("x-spillway-provider")).contains("backup");
    assertThat(health("flaky").breakerState()).isEqualTo("open");
    assertThat(post(chat("half", "3"), KEY).headers().firstValue("x-spillway-attempts")).contains("1");

    // After 300 ms the breaker lets a single request try the target again; it succeeds and the breaker closes.
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() ->
        post(chat("half", "probe"), KEY).headers().firstValue("x-spillway-provider").orElse("").equals("flaky"));

    assertThat(flaky.requestCount()).isEqualTo(3);
    assertThat(health("flaky").breakerState()).isEqualTo("closed");
    assertThat(post(chat("half", "after"), KEY).headers().firstValue("x-spillway-provider")).contains("flaky");
  }

  @Test
  void withEveryTargetDownTwoHundredClientsGetFastAnswersAndTheNodeStaysResponsive() throws Exception {
    AtomicBoolean storming = new AtomicBoolean(true);
    List<Long> healthNanos = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Void> prober = CompletableFuture.runAsync(() -> {
      HttpClient probe = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      while (storming.get()) {
        long start = System.nanoTime();
        try {
          HttpResponse<String> healthz = probe.send(HttpRequest.newBuilder(TestNodes.uri(node, "/healthz")).GET()
              .build(), HttpResponse.BodyHandlers.ofString());
          assertThat(healthz.statusCode()).isEqualTo(200);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        healthNanos.add(System.nanoTime() - start);
      }
    });
    HttpClient many = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
    List<Integer> attempts = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    for (int c = 0; c < 200; c++) {
      CompletableFuture<Void> client = CompletableFuture.completedFuture(null);
      for (int r = 0; r < 3; r++) {
        client = client.thenCompose(ignored -> many.sendAsync(request(chat("alldown", "hi"), KEY),
            HttpResponse.BodyHandlers.ofString()).thenAccept(response -> {
              statuses.merge(response.statusCode(), 1, Integer::sum);
              attempts.add(Integer.parseInt(response.headers().firstValue("x-spillway-attempts").orElse("-1")));
            }));
      }
      clients.add(client);
    }
    CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    storming.set(false);
    prober.get(10, TimeUnit.SECONDS);

    assertThat(statuses.keySet()).isSubsetOf(502, 503);
    assertThat(statuses.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(600);
    // At most max_attempts (2) per target (2 targets), and most requests find both breakers open and try nothing.
    assertThat(attempts).allMatch(a -> a >= 0 && a <= 4);
    assertThat(attempts.stream().filter(a -> a == 0).count()).isGreaterThan(400);
    assertThat(statuses.getOrDefault(503, 0)).isGreaterThan(400);
    assertThat(health("down1").inFlightNow()).isZero();
    assertThat(health("down2").inFlightNow()).isZero();
    List<Long> sorted = new ArrayList<>(healthNanos);
    Collections.sort(sorted);
    assertThat(sorted).isNotEmpty();
    long p99 = sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1));
    // Responsive, not blocked: a stalled event loop shows as seconds. The < 10 ms target is measured by the
    // benchmark (docs/benchmarks.md), not here, where the 200 clients share the node's two cores and JVM.
    assertThat(p99).as("healthz p99 during the storm, of %d probes (p50 %d µs)", sorted.size(),
        sorted.get(sorted.size() / 2) / 1000).isLessThan(250_000_000L);
  }

  // --- streams -------------------------------------------------------------------------------------------------

  @Test
  void aStreamWhosePrimaryFailsBeforeTheFirstByteIsServedByTheFallback() throws Exception {
    streaming.enqueue(FakeResponse.error(500, "overloaded"));
    backup.enqueue(FakeResponse.stream());

    HttpResponse<String> byStatus = post(chat("streamy", "hi", true), KEY);

    assertThat(byStatus.statusCode()).isEqualTo(200);
    assertThat(byStatus.headers().firstValue("x-spillway-provider")).contains("backup");
    assertThat(byStatus.headers().firstValue("x-spillway-attempts")).contains("2");
    assertThat(byStatus.body()).contains("Hello", "data: [DONE]").doesNotContain("overloaded");

    streaming.enqueue(FakeResponse.streamError("model overloaded, try later"));
    backup.enqueue(FakeResponse.stream());

    HttpResponse<String> inBand = post(chat("streamy", "hi", true), KEY);

    assertThat(inBand.statusCode()).isEqualTo(200);
    assertThat(inBand.headers().firstValue("x-spillway-provider")).contains("backup");
    assertThat(inBand.body()).contains("Hello", "data: [DONE]").doesNotContain("overloaded");
  }

  @Test
  void aStreamThatFailsMidwayEndsWithAWellFormedOpenAiErrorEventAndItsUsageIsRecorded() throws Exception {
    streaming.enqueue(FakeResponse.stream().errorEventAfter(2, "the model crashed"));

    HttpResponse<String> response = post(chat("streamy", "hi", true), KEY);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("x-spillway-provider")).contains("streamer");
    List<NodeClient.Event> events = NodeClient.events(response.body());
    assertThat(events).isNotEmpty();
    JsonNode last = NodeClient.json(events.get(events.size() - 1).data());
    assertThat(last.path("error").path("message").asString()).contains("the model crashed");
    assertThat(response.body()).contains("Hello").doesNotContain("[DONE]");
    assertThat(backup.requestCount()).isZero();
    JsonNode usage = usageEventOf(response);
    assertThat(usage.path("provider").asString()).isEqualTo("streamer");
    assertThat(usage.path("output_tokens").asLong()).isPositive();
  }

  @Test
  void aStreamThatFailsMidwayEndsWithAWellFormedAnthropicErrorEvent() throws Exception {
    streaming.enqueue(FakeResponse.stream().errorEventAfter(2, "the model crashed"));

    HttpResponse<String> response = postTo("/v1/messages", "{\"model\":\"streamy\",\"max_tokens\":50,\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", KEY);

    assertThat(response.statusCode()).isEqualTo(200);
    List<NodeClient.Event> events = NodeClient.events(response.body());
    NodeClient.Event last = events.get(events.size() - 1);
    assertThat(last.event()).isEqualTo("error");
    assertThat(NodeClient.json(last.data()).path("type").asString()).isEqualTo("error");
    assertThat(NodeClient.json(last.data()).path("error").path("message").asString()).contains("the model crashed");
    assertThat(response.body()).contains("content_block_delta").doesNotContain("message_stop");
    assertThat(usageEventOf(response).path("output_tokens").asLong()).isPositive();
  }

  // --- sessions and strategies ---------------------------------------------------------------------------------

  @Test
  void aSessionSticksToOneKeyWhileItIsHealthyAndMovesWhenItCoolsDown() throws Exception {
    for (int i = 0; i < 100; i++) {
      assertThat(post(chat("sticky", "turn " + i), KEY, "x-spillway-session-id", "conversation-7").statusCode())
          .isEqualTo(200);
    }
    Set<String> used = new HashSet<>(keyed.apiKeys());
    assertThat(used).hasSize(1);
    String sticky = used.iterator().next();

    keyed.reset();
    keyed.respondForKey(sticky, FakeResponse.error(429, "slow down").header("retry-after", "30"));
    for (int i = 0; i < 50; i++) {
      assertThat(post(chat("sticky", "later " + i), KEY, "x-spillway-session-id", "conversation-7").statusCode())
          .isEqualTo(200);
    }
    List<String> after = keyed.apiKeys();
    assertThat(Collections.frequency(after, sticky)).isEqualTo(1);
    assertThat(new HashSet<>(after.subList(1, after.size()))).hasSize(1).doesNotContain(sticky);
  }

  @Test
  void theOpenAiUserFieldIsASessionToo() throws Exception {
    for (int i = 0; i < 30; i++) {
      String body = "{\"model\":\"sticky\",\"user\":\"user-1234\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
      assertThat(post(body, KEY).statusCode()).isEqualTo(200);
    }
    assertThat(new HashSet<>(keyed.apiKeys())).hasSize(1);
  }

  @Test
  void leastLatencySendsAtLeastNinetyPercentToATarget20msFaster() throws Exception {
    slow.respondWith(FakeResponse.chat().delay(Duration.ofMillis(20)));
    int viaFast = 0;
    for (int i = 0; i < 200; i++) {
      HttpResponse<String> response = post(chat("latency", "hi"), KEY);
      assertThat(response.statusCode()).isEqualTo(200);
      if (response.headers().firstValue("x-spillway-provider").orElse("").equals("fast")) {
        viaFast++;
      }
    }
    assertThat(viaFast).isGreaterThanOrEqualTo(180);
  }

  @Test
  void weighted7030Over10000RequestsLandsWithinTwoPercent() throws Exception {
    Map<String, Integer> byProvider = new ConcurrentHashMap<>();
    Semaphore inFlight = new Semaphore(32);
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      inFlight.acquire();
      all.add(http.sendAsync(request(chat("weighted", "hi"), KEY), HttpResponse.BodyHandlers.ofString())
          .thenAccept(response -> {
            assertThat(response.statusCode()).isEqualTo(200);
            byProvider.merge(response.headers().firstValue("x-spillway-provider").orElseThrow(), 1, Integer::sum);
          }).whenComplete((ok, failure) -> inFlight.release()));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    assertThat(byProvider.get("mA") + byProvider.get("mB")).isEqualTo(10_000);
    assertThat(byProvider.get("mA") / 10_000.0).isBetween(0.68, 0.72);
  }

  // --- per-request control and rules ---------------------------------------------------------------------------

  @Test
  void theRequestsOwnFallbacksFromTheBodyOrTheHeaderServeItAndNoProviderSeesTheField() throws Exception {
    HttpResponse<String> fromBody = post("{\"model\":\"lonely\",\"fallbacks\":[\"backup/z\"],"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", KEY);

    assertThat(fromBody.statusCode()).isEqualTo(200);
    assertThat(fromBody.headers().firstValue("x-spillway-provider")).contains("backup");
    assertThat(fromBody.headers().firstValue("x-spillway-model")).contains("z");
    assertThat(backup.lastRequest().json().has("fallbacks")).isFalse();

    HttpResponse<String> fromHeader = post(chat("lonely", "x"), KEY, "x-spillway-fallbacks", "nope-route, gold");
    assertThat(fromHeader.statusCode()).isEqualTo(404);
    assertThat(NodeClient.error(fromHeader).path("param").asString()).isEqualTo("fallbacks");

    HttpResponse<String> viaRoute = post(chat("lonely", "x"), KEY, "x-spillway-fallbacks", "gold");
    assertThat(viaRoute.statusCode()).isEqualTo(200);
    assertThat(viaRoute.headers().firstValue("x-spillway-model")).contains("gold-model");
  }

  @Test
  void aFallbackTheKeyMayNotUseIsRefusedNamingTheField() throws Exception {
    HttpResponse<String> response = post("{\"model\":\"lonely\",\"fallbacks\":[\"backup/z\"],"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", LIMITED_KEY);

    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(NodeClient.error(response).path("param").asString()).isEqualTo("fallbacks");
    assertThat(backup.requestCount()).isZero();
  }

  @Test
  void routingRulesPickTheRouteByHeaderOrKeyMetadataAndModelPattern() throws Exception {
    HttpResponse<String> byHeader = post(chat("tiered-anything", "x"), KEY, "x-tier", "gold");
    assertThat(byHeader.statusCode()).isEqualTo(200);
    assertThat(byHeader.headers().firstValue("x-spillway-model")).contains("gold-model");

    assertThat(post(chat("tiered-anything", "x"), KEY).statusCode()).isEqualTo(404);

    HttpResponse<String> byMetadata = post(chat("meta-whatever", "x"), META_KEY);
    assertThat(byMetadata.statusCode()).isEqualTo(200);
    assertThat(byMetadata.headers().firstValue("x-spillway-provider")).contains("backup");
    assertThat(post(chat("meta-whatever", "x"), KEY).statusCode()).isEqualTo(404);
  }

  // --- helpers -------------------------------------------------------------------------------------------------

  private static TargetHealth health(String provider) {
    return node.routingHealth().sortedTargets().stream().filter(t -> t.key().provider().equals(provider))
        .findFirst().orElseThrow();
  }

  private static JsonNode usageEventOf(HttpResponse<String> response) {
    String requestId = response.headers().firstValue("x-request-id").orElseThrow();
    return await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.usageEvents().stream()
        .filter(e -> e.path("request_id").asString().equals(requestId)).findFirst().orElse(null),
        java.util.Objects::nonNull);
  }

  static String chat(String model, String text) {
    return chat(model, text, false);
  }

  static String chat(String model, String text, boolean stream) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\""
        + text + "\"}]}";
  }

  private static HttpRequest request(String body, String key, String... headers) {
    return requestTo("/v1/chat/completions", body, key, headers);
  }

  private static HttpRequest requestTo(String path, String body, String key, String... headers) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(TestNodes.uri(node, path))
        .header("content-type", "application/json")
        .header("Authorization", "Bearer " + key)
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
    }
    return builder.build();
  }

  private static HttpResponse<String> post(String body, String key, String... headers) throws Exception {
    return http.send(request(body, key, headers), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> postTo(String path, String body, String key) throws Exception {
    return http.send(requestTo(path, body, key), HttpResponse.BodyHandlers.ofString());
  }
}
