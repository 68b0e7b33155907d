package dev.spillway.dataplane.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderType;
import dev.spillway.config.RetryConfig;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.metrics.RequestObserver;
import dev.spillway.dataplane.provider.ProviderRuntime;
import dev.spillway.dataplane.routing.RouteTable;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one reading of provider failures every proxy shares: retry, fall back or give up. */
class AttemptsTest {

  private static RouteTable.Target target(String name) {
    ProviderRuntime provider = new ProviderRuntime(new ProviderConfig("id-" + name, name,
        ProviderType.OPENAI_COMPATIBLE, "http://127.0.0.1:1/v1", List.of(), Map.of(), null),
        URI.create("http://127.0.0.1:1/v1"), List.of(new ProviderRuntime.Credential("k", 1, "sk-x")));
    return new RouteTable.Target(provider, "m", 1);
  }

  private static Attempts attempts(RetryConfig retry, String... targets) {
    return new Attempts(new RouteTable.Plan("m", "route",
        List.of(targets).stream().map(AttemptsTest::target).toList(), retry));
  }

  @Test
  void retriesTheSameTargetWithGrowingBackoffThenFallsBack() {
    Attempts attempts = attempts(new RetryConfig(3, 100), "a", "b");

    assertThat(attempts.start()).isEqualTo(RequestObserver.Attempt.FIRST);
    assertThat(attempts.afterErrorStatus(503, "busy", null, false)).isEqualTo(new Attempts.Again(100));
    assertThat(attempts.start()).isEqualTo(RequestObserver.Attempt.RETRY);
    assertThat(attempts.afterErrorStatus(500, "busy", null, false)).isEqualTo(new Attempts.Again(200));
    attempts.start();
    assertThat(attempts.afterErrorStatus(500, "busy", null, false)).isEqualTo(new Attempts.Again(0));
    assertThat(attempts.target().provider().name()).isEqualTo("b");
    assertThat(attempts.start()).isEqualTo(RequestObserver.Attempt.FALLBACK);
  }

  @Test
  void aRefusedKeyFallsBackWithoutRetryingWhetherByStatusOrByTheAdaptersReading() {
    Attempts byStatus = attempts(new RetryConfig(3, 100), "a", "b");
    byStatus.start();
    assertThat(byStatus.afterErrorStatus(401, "bad key", null, false)).isEqualTo(new Attempts.Again(0));
    assertThat(byStatus.target().provider().name()).isEqualTo("b");

    Attempts byAdapter = attempts(new RetryConfig(3, 100), "a", "b");
    byAdapter.start();
    assertThat(byAdapter.afterErrorStatus(400, "API key not valid", null, true)).isEqualTo(new Attempts.Again(0));
    assertThat(byAdapter.target().provider().name()).isEqualTo("b");
  }

  @Test
  void theRequestsOwnFaultGoesBackToTheClientAtOnce() {
    Attempts attempts = attempts(new RetryConfig(3, 100), "a", "b");
    attempts.start();

    assertThat(attempts.afterErrorStatus(400, "bad field", null, false))
        .isEqualTo(new Attempts.GiveUp(GatewayError.INVALID_REQUEST, "a answered 400: bad field"));
    assertThat(attempts.afterErrorStatus(413, "too big", null, false)).isInstanceOf(Attempts.GiveUp.class)
        .extracting(n -> ((Attempts.GiveUp) n).error()).isEqualTo(GatewayError.REQUEST_TOO_LARGE);
  }

  @Test
  void afterEveryTargetTheClientLearnsAllFailedAndWhenToRetry() {
    Attempts attempts = attempts(RetryConfig.NONE, "a", "b");
    attempts.start();
    attempts.afterErrorStatus(408, "slow", null, false);
    attempts.start();

    Attempts.Next last = attempts.afterErrorStatus(429, "slow down", "7", false);

    assertThat(last).isEqualTo(new Attempts.GiveUp(GatewayError.RATE_LIMIT_EXCEEDED,
        "every target failed; last: b answered 429: slow down"));
    assertThat(attempts.errorHeaders(GatewayError.RATE_LIMIT_EXCEEDED).get("retry-after")).isEqualTo("7");
    assertThat(attempts.errorHeaders(GatewayError.RATE_LIMIT_EXCEEDED).get("x-spillway-attempts")).isEqualTo("2");
  }

  @Test
  void onlyTimeoutsEverywhereIsATimeout() {
    Attempts attempts = attempts(RetryConfig.NONE, "a", "b");
    attempts.start();
    attempts.failed(GatewayError.UPSTREAM_TIMEOUT, "a: no first byte", true, true, true);
    attempts.start();

    assertThat(attempts.failed(GatewayError.UPSTREAM_TIMEOUT, "b: no first byte", true, true, true))
        .isEqualTo(new Attempts.GiveUp(GatewayError.UPSTREAM_TIMEOUT,
            "every target timed out; last: b: no first byte"));
  }
}
