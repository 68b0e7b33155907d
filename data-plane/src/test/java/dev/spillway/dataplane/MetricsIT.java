package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code GET /metrics} after real requests through a node: counts, error codes, histograms, tokens, attempts. */
@ExtendWith(NoLeaksExtension.class)
class MetricsIT {
  static final String KEY = "sk-sw-metrics0000000000000000000000000000000";
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

    HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(TestNodes.uri(node, "/metrics")).GET().build(),
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
    // The scrape itself is in flight while it renders.
    assertThat(MetricsText.value(text, "spillway_active_requests")).isEqualTo(1);
  }

  static String chat(String model, boolean stream) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  private static HttpResponse<String> post(String body, String key) throws Exception {
    return http.send(HttpRequest.newBuilder(TestNodes.uri(node, CHAT))
        .header("content-type", "application/json")
        .header("Authorization", "Bearer " + key)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
