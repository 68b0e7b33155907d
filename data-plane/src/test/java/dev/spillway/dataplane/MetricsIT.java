package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.CacheConfig;
import dev.spillway.config.CacheMode;
import dev.spillway.config.ProviderType;
import dev.spillway.config.RetryConfig;
import dev.spillway.dataplane.metrics.MetricsText;
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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code GET /metrics} on the node's admin port after real requests through a node: counts, error codes, histograms,
 * tokens, attempts, and the per-team counters; and no {@code /metrics} on the public port.
 */
@ExtendWith(NoLeaksExtension.class)
class MetricsIT {
  static final String KEY = "sk-sw-metrics0000000000000000000000000000000";
  static final String TEAM_KEY = "sk-sw-metricsteam00000000000000000000000000";
  static final String CHAT = "/v1/chat/completions";

  static FakeProvider provider;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    provider = FakeProvider.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("fake", ProviderType.OPENAI_COMPATIBLE, provider.baseUrl(), "sk-upstream-0000000000000")
        .provider("dead", ProviderType.OPENAI_COMPATIBLE, "http://127.0.0.1:1/v1", "sk-dead-0000000000000")
        .route("chat", "fake/m")
        .route("retrying", List.of("fake/r"), List.of(), new RetryConfig(2, 1))
        .route("failover", List.of("dead/x"), List.of("fake/y"), RetryConfig.NONE)
        .route("broken", "dead/x")
        .team("t2", new CacheConfig(CacheMode.EXACT, null, null, null))
        .key("t2", TEAM_KEY)
        .price("fake", "m", "1.00", "2.00", "0.50")
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("metrics-it"),
        Map.of("SPILLWAY_DP_MAX_BODY_BYTES", "4096"));
    TestNodes.awaitVersion(node, 1);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    node.close();
    controlPlane.close();
    provider.close();
  }

  @Test
  void exposesRequestCountsErrorCodesLatencyHistogramsTokensAndAttempts() throws Exception {
    provider.enqueue(FakeResponse.chat().usage(11, 7), FakeResponse.chat().usage(11, 7),
        FakeResponse.stream().chunkCount(3).usage(5, 3), FakeResponse.error(503, "busy"), FakeResponse.chat());
    assertThat(post(chat("chat", false), KEY).statusCode()).isEqualTo(200);
    assertThat(post(chat("chat", false), KEY).statusCode()).isEqualTo(200);
    HttpResponse<String> stream = post(chat("chat", true), KEY);
    assertThat(stream.body()).contains("[DONE]");
    assertThat(post(chat("retrying", false), KEY).statusCode()).isEqualTo(200);
    assertThat(post(chat("failover", false), KEY).statusCode()).isEqualTo(200);
    assertThat(post(chat("chat", false), "sk-sw-unknown00000000000000000000000000000").statusCode()).isEqualTo(401);
    assertThat(post(chat("nope", false), KEY).statusCode()).isEqualTo(404);
    assertThat(post(chat("chat", false).replace("hi", "x".repeat(5000)), KEY).statusCode()).isEqualTo(413);

    HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(TestNodes.adminUri(node, "/metrics")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    String text = scrape.body();

    assertThat(scrape.statusCode()).isEqualTo(200);
    assertThat(scrape.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t)
        .startsWith("text/plain; version=0.0.4"));
    assertThat(MetricsText.value(text, "spillway_requests_total", "endpoint", CHAT, "status", "200", "code", "ok"))
        .isEqualTo(5);
    assertThat(MetricsText.value(text, "spillway_requests_total", "endpoint", CHAT, "status", "401", "code",
        "invalid_api_key")).isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_errors_total", "endpoint", CHAT, "code", "model_not_found"))
        .isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_errors_total", "endpoint", CHAT, "code", "request_too_large"))
        .isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_request_duration_seconds_count", "endpoint", CHAT)).isEqualTo(7);
    assertThat(MetricsText.value(text, "spillway_request_duration_seconds_bucket", "endpoint", CHAT, "le", "+Inf"))
        .isEqualTo(7);
    assertThat(MetricsText.value(text, "spillway_upstream_duration_seconds_count", "endpoint", CHAT)).isEqualTo(5);
    assertThat(MetricsText.value(text, "spillway_gateway_overhead_seconds_count", "endpoint", CHAT)).isEqualTo(5);
    assertThat(MetricsText.value(text, "spillway_gateway_overhead_seconds_sum", "endpoint", CHAT))
        .isLessThan(MetricsText.value(text, "spillway_request_duration_seconds_sum", "endpoint", CHAT));
    assertThat(MetricsText.value(text, "spillway_time_to_first_token_seconds_count", "endpoint", CHAT)).isEqualTo(1);
    // openai-compatible streams carry usage only when the adapter asks for it; the complete answers always do.
    assertThat(MetricsText.value(text, "spillway_tokens_total", "provider", "fake", "direction", "input"))
        .isIn(11.0 + 11 + 12 + 12, 11.0 + 11 + 5 + 12 + 12);
    assertThat(MetricsText.value(text, "spillway_upstream_attempts_total", "provider", "fake", "attempt", "first"))
        .isEqualTo(4);
    assertThat(MetricsText.value(text, "spillway_upstream_attempts_total", "provider", "fake", "attempt", "retry"))
        .isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_upstream_attempts_total", "provider", "fake", "attempt",
        "fallback")).isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_upstream_attempts_total", "provider", "dead", "attempt", "first"))
        .isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_active_streams")).isZero();
    // A scrape is no client request: it is neither in flight nor counted.
    assertThat(MetricsText.value(text, "spillway_active_requests")).isZero();
    assertThat(text).doesNotContain("endpoint=\"/metrics\"");
  }

  @Test
  void servesMetricsOnTheAdminPortAndAnswersNotFoundOnThePublicOne() throws Exception {
    HttpResponse<String> publicPort = get(TestNodes.uri(node, "/metrics"));
    HttpResponse<String> adminPort = get(TestNodes.adminUri(node, "/metrics"));

    assertThat(node.adminPort()).isNotEqualTo(node.port());
    assertThat(publicPort.statusCode()).isEqualTo(404);
    assertThat(publicPort.body()).contains("\"code\":\"unknown_url\"").contains("\"type\":\"invalid_request_error\"")
        .doesNotContain("spillway_");
    assertThat(adminPort.statusCode()).isEqualTo(200);
    assertThat(adminPort.headers().firstValue("content-type")).hasValue(
        "text/plain; version=0.0.4; charset=utf-8");
    assertThat(adminPort.body()).contains("# TYPE spillway_requests_total counter",
        "# TYPE spillway_request_duration_seconds histogram", "# TYPE spillway_open_connections gauge");
    assertThat(get(TestNodes.adminUri(node, "/healthz")).statusCode()).isEqualTo(200);
    assertThat(get(TestNodes.adminUri(node, "/readyz")).body()).contains("\"config_version\":1");
    assertThat(get(TestNodes.uri(node, "/readyz")).statusCode()).as("still on the public port").isEqualTo(200);
    assertThat(get(TestNodes.adminUri(node, "/v1/models")).statusCode()).isEqualTo(404);
    assertThat(http.send(HttpRequest.newBuilder(TestNodes.adminUri(node, "/metrics"))
        .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
        .isEqualTo(405);
  }

  @Test
  void countsRequestsTokensCostAndCacheResultsPerTeamAndRoute() throws Exception {
    // A node of its own: the other test counts every request of the shared node.
    try (SpillwayNode own = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("metrics-it-teams"),
        Map.of())) {
      TestNodes.awaitVersion(own, 1);
      provider.enqueue(FakeResponse.chat().usage(11, 7), FakeResponse.chat().usage(11, 7));
      String question = chat("chat", false).replace("hi", "what is a spillway?");
      assertThat(post(own, question, TEAM_KEY).headers().firstValue("x-spillway-cache")).hasValue("miss");
      await().atMost(Duration.ofSeconds(5)).until(() -> own.cache().memoryEntries() > 0);
      assertThat(post(own, question, TEAM_KEY).headers().firstValue("x-spillway-cache")).hasValue("hit-exact");
      assertThat(post(own, chat("fake/m", false), TEAM_KEY).statusCode()).isEqualTo(200);
      assertThat(post(own, chat("broken", false), TEAM_KEY).statusCode()).isEqualTo(502);

      // Usage is settled as the response completes: the last answer may arrive before its counters moved.
      await().atMost(Duration.ofSeconds(5)).until(() -> team(scrape(own), "spillway_team_requests_total", "broken",
          "status_class", "5xx") == 1);
      String text = scrape(own);

      assertThat(text).contains("# TYPE spillway_team_requests_total counter",
          "# TYPE spillway_team_tokens_total counter", "# TYPE spillway_team_cost_usd_total counter",
          "# TYPE spillway_team_cache_total counter");
      assertThat(team(text, "spillway_team_requests_total", "chat", "status_class", "2xx")).isEqualTo(2);
      assertThat(team(text, "spillway_team_requests_total", "direct", "status_class", "2xx")).isEqualTo(1);
      assertThat(team(text, "spillway_team_cache_total", "chat", "result", "miss")).isEqualTo(1);
      assertThat(team(text, "spillway_team_cache_total", "chat", "result", "hit-exact")).isEqualTo(1);
      assertThat(team(text, "spillway_team_tokens_total", "direct", "kind", "input")).isEqualTo(11);
      assertThat(team(text, "spillway_team_tokens_total", "direct", "kind", "output")).isEqualTo(7);
      // 11 input tokens at $1 and 7 output tokens at $2 per million.
      assertThat(MetricsText.value(text, "spillway_team_cost_usd_total", "team", "team t2", "route", "direct"))
          .isCloseTo(25e-6, within(1e-12));
      assertThat(MetricsText.value(text, "spillway_team_requests_total", "team", "team t1"))
          .as("no request of the other team went through this node").isZero();
    }
  }

  private static double team(String text, String name, String route, String label, String value) {
    return MetricsText.value(text, name, "team", "team t2", "route", route, label, value);
  }

  private static String scrape(SpillwayNode target) throws Exception {
    return get(TestNodes.adminUri(target, "/metrics")).body();
  }

  private static HttpResponse<String> get(java.net.URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  static String chat(String model, boolean stream) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  private static HttpResponse<String> post(String body, String key) throws Exception {
    return post(node, body, key);
  }

  private static HttpResponse<String> post(SpillwayNode target, String body, String key) throws Exception {
    return http.send(HttpRequest.newBuilder(TestNodes.uri(target, CHAT))
        .header("content-type", "application/json")
        .header("Authorization", "Bearer " + key)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
