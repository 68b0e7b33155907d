package dev.spillway.dataplane.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.usage.Usage;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PrometheusNodeMetricsTest {
  private final PrometheusNodeMetrics metrics = new PrometheusNodeMetrics();

  private String text() {
    return new String(metrics.scrape(), StandardCharsets.UTF_8);
  }

  @Test
  void countsRequestsByEndpointStatusAndCode() {
    for (int i = 0; i < 3; i++) {
      RequestObserver ok = metrics.requestStarted(Endpoint.CHAT_COMPLETIONS, System.nanoTime());
      ok.upstreamStarted("openai", RequestObserver.Attempt.FIRST);
      ok.upstreamResponded(200);
      ok.upstreamEnded();
      ok.usage(new Usage(10, 20, 4));
      ok.completed(200, null);
    }
    metrics.requestStarted(Endpoint.CHAT_COMPLETIONS, System.nanoTime()).completed(401, GatewayError.INVALID_API_KEY);
    metrics.requestStarted(Endpoint.OTHER, System.nanoTime()).completed(404, GatewayError.UNKNOWN_URL);
    metrics.rejected(Endpoint.MESSAGES, GatewayError.REQUEST_TOO_LARGE);

    String text = text();

    assertThat(MetricsText.value(text, "spillway_requests_total", "endpoint", "/v1/chat/completions", "status", "200",
        "code", "ok")).isEqualTo(3);
    assertThat(MetricsText.value(text, "spillway_requests_total", "endpoint", "/v1/chat/completions", "status", "401",
        "code", "invalid_api_key")).isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_errors_total", "endpoint", "other", "code", "unknown_url"))
        .isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_errors_total", "endpoint", "/v1/messages", "code",
        "request_too_large")).isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_tokens_total", "provider", "openai", "direction", "input"))
        .isEqualTo(30);
    assertThat(MetricsText.value(text, "spillway_tokens_total", "provider", "openai", "direction", "output"))
        .isEqualTo(60);
    assertThat(MetricsText.value(text, "spillway_tokens_total", "provider", "openai", "direction", "cached_input"))
        .isEqualTo(12);
    assertThat(MetricsText.value(text, "spillway_request_duration_seconds_count", "endpoint", "/v1/chat/completions"))
        .isEqualTo(4);
    // Only requests that reached a provider have an upstream and a gateway-added time.
    assertThat(MetricsText.value(text, "spillway_upstream_duration_seconds_count", "endpoint",
        "/v1/chat/completions")).isEqualTo(3);
    assertThat(MetricsText.value(text, "spillway_gateway_overhead_seconds_count", "endpoint",
        "/v1/chat/completions")).isEqualTo(3);
    assertThat(MetricsText.value(text, "spillway_active_requests")).isZero();
  }

  @Test
  void separatesRetriesAndFallbacksAndAddsUpEveryAttemptsUpstreamTime() {
    RequestObserver observer = metrics.requestStarted(Endpoint.CHAT_COMPLETIONS, System.nanoTime());
    observer.upstreamStarted("a", RequestObserver.Attempt.FIRST);
    observer.upstreamEnded();
    observer.upstreamStarted("a", RequestObserver.Attempt.RETRY);
    observer.upstreamEnded();
    observer.upstreamStarted("b", RequestObserver.Attempt.FALLBACK);
    observer.upstreamEnded();
    observer.upstreamEnded(); // extra calls are ignored
    observer.completed(200, null);

    String text = text();

    assertThat(MetricsText.value(text, "spillway_upstream_attempts_total", "provider", "a", "attempt", "first"))
        .isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_upstream_attempts_total", "provider", "a", "attempt", "retry"))
        .isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_upstream_attempts_total", "provider", "b", "attempt", "fallback"))
        .isEqualTo(1);
    double total = MetricsText.value(text, "spillway_request_duration_seconds_sum", "endpoint",
        "/v1/chat/completions");
    double upstream = MetricsText.value(text, "spillway_upstream_duration_seconds_sum", "endpoint",
        "/v1/chat/completions");
    double overhead = MetricsText.value(text, "spillway_gateway_overhead_seconds_sum", "endpoint",
        "/v1/chat/completions");
    assertThat(upstream).isPositive().isLessThanOrEqualTo(total);
    assertThat(overhead + upstream).isCloseTo(total, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void tracksActiveStreamsTimeToFirstTokenAndStreamsThatFailAfterTheirStart() {
    RequestObserver failing = metrics.requestStarted(Endpoint.CHAT_COMPLETIONS, System.nanoTime());
    failing.upstreamStarted("p", RequestObserver.Attempt.FIRST);
    failing.upstreamResponded(200);
    failing.streamStarted();
    failing.firstToken();
    failing.firstToken();
    RequestObserver abandoned = metrics.requestStarted(Endpoint.MESSAGES, System.nanoTime());
    abandoned.streamStarted();

    assertThat(MetricsText.value(text(), "spillway_active_streams")).isEqualTo(2);

    failing.completed(200, GatewayError.UPSTREAM_ERROR);
    abandoned.clientClosed();
    abandoned.completed(200, null); // after the client left nothing more is counted
    String text = text();

    assertThat(MetricsText.value(text, "spillway_active_streams")).isZero();
    assertThat(MetricsText.value(text, "spillway_active_requests")).isZero();
    assertThat(MetricsText.value(text, "spillway_time_to_first_token_seconds_count", "endpoint",
        "/v1/chat/completions")).isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_requests_total", "endpoint", "/v1/chat/completions", "status", "200",
        "code", "upstream_error")).isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_requests_total", "endpoint", "/v1/messages", "status", "499",
        "code", "client_closed")).isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_requests_total", "endpoint", "/v1/messages", "status", "200",
        "code", "ok")).isZero();
  }

  @Test
  void mapsRequestPathsToAFixedSetOfEndpoints() {
    assertThat(Endpoint.of("/v1/chat/completions")).isEqualTo(Endpoint.CHAT_COMPLETIONS);
    assertThat(Endpoint.of("/v1/messages/count_tokens")).isEqualTo(Endpoint.COUNT_TOKENS);
    assertThat(Endpoint.of("/v1/chat/completions/../../etc/passwd")).isEqualTo(Endpoint.OTHER);
  }
}
