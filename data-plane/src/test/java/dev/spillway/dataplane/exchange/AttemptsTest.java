package dev.spillway.dataplane.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.BreakerConfig;
import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderType;
import dev.spillway.config.RetryConfig;
import dev.spillway.config.RouteConfig;
import dev.spillway.config.RouteTargetConfig;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.metrics.RequestObserver;
import dev.spillway.dataplane.provider.ProviderRuntime;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.routing.RoutingHealth;
import dev.spillway.dataplane.routing.TargetHealth;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one reading of provider failures every kind of request shares: rotate keys, retry, fall back or give up. */
class AttemptsTest {
  private static final BreakerConfig THREE_STRIKES = new BreakerConfig(3, null, null, null, 60_000L, null, null);

  private final RoutingHealth health = new RoutingHealth();
  private final Map<String, ProviderRuntime> providers = new LinkedHashMap<>();

  private void provider(String name, String... keys) {
    ProviderConfig config = new ProviderConfig("id-" + name, name, ProviderType.OPENAI_COMPATIBLE,
        "http://127.0.0.1:1/v1", List.of(), Map.of(), null, THREE_STRIKES);
    providers.put(name, new ProviderRuntime(config, URI.create("http://127.0.0.1:1/v1"),
        Arrays.stream(keys).map(k -> new ProviderRuntime.Credential(k, 1, "sk-" + k)).toList()));
  }

  private RouteTable.Plan plan(RetryConfig retry, String... targets) {
    for (String t : targets) {
      if (!providers.containsKey(t)) {
        provider(t, "k");
      }
    }
    RouteConfig route = new RouteConfig("r", "route", List.of(new RouteTargetConfig(targets[0], "m", 1)),
        Arrays.stream(targets).skip(1).map(t -> new RouteTargetConfig(t, "m", 1)).toList(), retry);
    return RouteTable.compile(List.of(route), List.of(), providers, health).resolve("route").orElseThrow();
  }

  private static Attempts attempts(RouteTable.Plan plan) {
    return new Attempts(plan, null, System.nanoTime());
  }

  private static RouteTable.Target go(Attempts attempts) {
    Attempts.Next next = attempts.next(System.nanoTime());
    assertThat(next).isInstanceOf(Attempts.Go.class);
    return ((Attempts.Go) next).target();
  }

  private static String keyOf(RouteTable.Target target) {
    return target.provider().name() + "/" + target.provider().credentials().get(0).name();
  }

  private static HttpHeaders headers(String... nameValues) {
    HttpHeaders headers = new DefaultHttpHeaders();
    for (int i = 0; i < nameValues.length; i += 2) {
      headers.set(nameValues[i], nameValues[i + 1]);
    }
    return headers;
  }

  private static long now() {
    return System.nanoTime();
  }

  @Test
  void retriesTheSameTargetWithJitteredBackoffUnderADoublingCeilingThenFallsBack() {
    Attempts attempts = attempts(plan(new RetryConfig(3, 100), "a", "b"));

    assertThat(keyOf(go(attempts))).isEqualTo("a/k");
    assertThat(attempts.kind()).isEqualTo(RequestObserver.Attempt.FIRST);
    Attempts.Next first = attempts.afterErrorStatus(503, "busy", headers(), false, now());
    assertThat(((Attempts.Again) first).delayMs()).isBetween(0L, 100L);
    assertThat(keyOf(go(attempts))).isEqualTo("a/k");
    assertThat(attempts.kind()).isEqualTo(RequestObserver.Attempt.RETRY);
    Attempts.Next second = attempts.afterErrorStatus(500, "busy", headers(), false, now());
    assertThat(((Attempts.Again) second).delayMs()).isBetween(0L, 200L);
    go(attempts);
    assertThat(attempts.afterErrorStatus(500, "busy", headers(), false, now())).isEqualTo(new Attempts.Again(0));
    assertThat(keyOf(go(attempts))).isEqualTo("b/k");
    assertThat(attempts.kind()).isEqualTo(RequestObserver.Attempt.FALLBACK);
    assertThat(attempts.count()).isEqualTo(4);
  }

  @Test
  void backoffIsSpreadNotFixed() {
    Set<Long> delays = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      Attempts attempts = attempts(plan(new RetryConfig(2, 1_000), "a"));
      go(attempts);
      delays.add(((Attempts.Again) attempts.afterErrorStatus(502, "x", headers(), false, now())).delayMs());
      attempts.abandoned();
      health.snapshotApplied(Set.of()); // a fresh breaker for the next round: 50 failures in a row would open it
    }
    assertThat(delays).hasSizeGreaterThan(20).allMatch(d -> d >= 0 && d <= 1_000);
  }

  @Test
  void aRetryWaitsAtLeastTheProvidersRetryAfterUpToTheCapAndMovesOnBeyondIt() {
    Attempts within = attempts(plan(new RetryConfig(2, 10, 0L, 5_000L, 0L), "a", "b"));
    go(within);
    assertThat(((Attempts.Again) within.afterErrorStatus(503, "later", headers("retry-after", "2"), false, now()))
        .delayMs()).isGreaterThanOrEqualTo(2_000);

    Attempts beyond = attempts(plan(new RetryConfig(2, 10, 0L, 5_000L, 0L), "a", "b"));
    go(beyond);
    assertThat(beyond.afterErrorStatus(503, "later", headers("retry-after", "60"), false, now()))
        .isEqualTo(new Attempts.Again(0));
    assertThat(keyOf(go(beyond))).isEqualTo("b/k");
  }

  @Test
  void a429CoolsItsKeyDownAndTheNextKeyIsTriedAtOnceWithoutSpendingTheTargetsAttempt() {
    provider("a", "k1", "k2");
    RouteTable.Plan plan = plan(RetryConfig.NONE, "a", "b");
    Attempts attempts = attempts(plan);
    String first = keyOf(go(attempts));

    assertThat(attempts.afterErrorStatus(429, "slow down", headers("retry-after", "30"), false, now()))
        .isEqualTo(new Attempts.Again(0));
    String second = keyOf(go(attempts));

    assertThat(second).startsWith("a/").isNotEqualTo(first);
    TargetHealth cooled = plan.targets().get(0).keys().stream()
        .filter(k -> ("a/" + k.key().keyName()).equals(first)).findFirst().orElseThrow();
    assertThat(cooled.key().coolingForNanos(now())).isGreaterThan(29_000_000_000L);
    // A later request does not use the cooling key either.
    for (int i = 0; i < 20; i++) {
      Attempts later = attempts(plan);
      assertThat(keyOf(go(later))).isEqualTo(second);
      later.succeeded(now());
    }
  }

  @Test
  void aRefusedKeyIsTakenOutAndTheOtherKeysThenTheNextTargetAreTried() {
    provider("a", "k1", "k2");
    RouteTable.Plan plan = plan(new RetryConfig(3, 100), "a", "b");
    Attempts attempts = attempts(plan);
    go(attempts);
    assertThat(attempts.afterErrorStatus(401, "bad key", headers(), false, now())).isEqualTo(new Attempts.Again(0));
    go(attempts);
    assertThat(attempts.afterErrorStatus(400, "API key not valid", headers(), true, now()))
        .isEqualTo(new Attempts.Again(0));
    assertThat(keyOf(go(attempts))).isEqualTo("b/k");

    assertThat(plan.targets().get(0).keys()).allMatch(k -> k.key().isBad());
    health.snapshotApplied(Set.of(RoutingHealth.keyId("a", "k1"), RoutingHealth.keyId("a", "k2"),
        RoutingHealth.keyId("b", "k")));
    assertThat(plan.targets().get(0).keys()).noneMatch(k -> k.key().isBad());
  }

  @Test
  void theRequestsOwnFaultGoesBackToTheClientAtOnceAndA404MovesOnWithoutARetry() {
    Attempts bad = attempts(plan(new RetryConfig(3, 100), "a", "b"));
    go(bad);
    assertThat(bad.afterErrorStatus(400, "bad field", headers(), false, now()))
        .isEqualTo(new Attempts.GiveUp(GatewayError.INVALID_REQUEST, "a answered 400: bad field"));

    Attempts unprocessable = attempts(plan(new RetryConfig(3, 100), "a", "b"));
    go(unprocessable);
    assertThat(unprocessable.afterErrorStatus(422, "nope", headers(), false, now()))
        .isInstanceOf(Attempts.GiveUp.class);

    Attempts tooBig = attempts(plan(new RetryConfig(3, 100), "a", "b"));
    go(tooBig);
    assertThat(tooBig.afterErrorStatus(413, "too big", headers(), false, now()))
        .extracting(n -> ((Attempts.GiveUp) n).error()).isEqualTo(GatewayError.REQUEST_TOO_LARGE);

    Attempts unknownModel = attempts(plan(new RetryConfig(3, 100), "a", "b"));
    go(unknownModel);
    assertThat(unknownModel.afterErrorStatus(404, "no such model", headers(), false, now()))
        .isEqualTo(new Attempts.Again(0));
    assertThat(keyOf(go(unknownModel))).isEqualTo("b/k");
    assertThat(unknownModel.count()).isEqualTo(2);
  }

  @Test
  void afterEveryTargetTheClientLearnsAllFailedAndWhenToRetry() {
    Attempts attempts = attempts(plan(RetryConfig.NONE, "a", "b"));
    go(attempts);
    attempts.afterErrorStatus(408, "slow", headers(), false, now());
    go(attempts);

    Attempts.Next last = attempts.afterErrorStatus(429, "slow down", headers("retry-after", "7"), false, now());

    assertThat(last).isEqualTo(new Attempts.GiveUp(GatewayError.RATE_LIMIT_EXCEEDED,
        "every target failed; last: b answered 429: slow down"));
    HttpHeaders answer = attempts.errorHeaders(GatewayError.RATE_LIMIT_EXCEEDED);
    assertThat(answer.get("retry-after")).isEqualTo("7");
    assertThat(answer.get("x-spillway-attempts")).isEqualTo("2");
    assertThat(answer.get("x-spillway-provider")).isEqualTo("b");
  }

  @Test
  void onlyTimeoutsEverywhereIsATimeout() {
    Attempts attempts = attempts(plan(RetryConfig.NONE, "a", "b"));
    go(attempts);
    attempts.failed(GatewayError.UPSTREAM_TIMEOUT, "a: no first byte", true, true, true, now());
    go(attempts);

    assertThat(attempts.failed(GatewayError.UPSTREAM_TIMEOUT, "b: no first byte", true, true, true, now()))
        .isEqualTo(new Attempts.GiveUp(GatewayError.UPSTREAM_TIMEOUT,
            "every target timed out; last: b: no first byte"));
  }

  @Test
  void consecutiveFailuresOpenTheBreakerAndLaterRequestsSkipTheTargetAtNoCost() {
    RouteTable.Plan plan = plan(RetryConfig.NONE, "a", "b");
    for (int i = 0; i < 3; i++) {
      Attempts attempts = attempts(plan);
      assertThat(keyOf(go(attempts))).isEqualTo("a/k");
      attempts.failed(GatewayError.UPSTREAM_ERROR, "a: refused", false, true, true, now());
      assertThat(keyOf(go(attempts))).isEqualTo("b/k");
      attempts.succeeded(now());
    }
    assertThat(plan.targets().get(0).keys().get(0).breakerState()).isEqualTo("open");

    Attempts skipping = attempts(plan);
    assertThat(keyOf(go(skipping))).isEqualTo("b/k");
    assertThat(skipping.count()).isEqualTo(1);
    assertThat(skipping.kind()).isEqualTo(RequestObserver.Attempt.FIRST);
  }

  @Test
  void withEveryBreakerOpenTheRequestIsAnsweredAtOnceWithWhenToComeBack() {
    RouteTable.Plan plan = plan(new RetryConfig(2, 0), "a", "b");
    for (TargetHealth target : List.of(plan.targets().get(0).keys().get(0), plan.targets().get(1).keys().get(0))) {
      for (int i = 0; i < 3; i++) {
        target.failed(1_000);
      }
    }
    Attempts attempts = attempts(plan);

    Attempts.Next next = attempts.next(now());

    assertThat(next).isInstanceOf(Attempts.GiveUp.class);
    assertThat(((Attempts.GiveUp) next).error()).isEqualTo(GatewayError.UPSTREAM_UNAVAILABLE);
    assertThat(attempts.count()).isZero();
    assertThat(Long.parseLong(attempts.errorHeaders(GatewayError.UPSTREAM_UNAVAILABLE).get("retry-after")))
        .isBetween(55L, 60L);
  }

  @Test
  void noAttemptStartsAndNoBackoffIsWaitedPastTheRoutesDeadline() {
    RouteTable.Plan plan = plan(new RetryConfig(5, 1_000, 0L, 0L, 200L), "a");
    Attempts attempts = new Attempts(plan, null, now() - 150_000_000L);
    go(attempts);

    Attempts.Next next = attempts.failed(GatewayError.UPSTREAM_ERROR, "a: 502", false, true, true, now());
    if (next instanceof Attempts.Again again) {
      assertThat(again.delayMs()).isLessThan(50);
      assertThat(attempts.next(now() + 60_000_000L)).isInstanceOf(Attempts.GiveUp.class);
    } else {
      assertThat(next).isInstanceOf(Attempts.GiveUp.class);
    }
    assertThat(attempts.remainingMs(now())).isLessThanOrEqualTo(50);
  }

  @Test
  void everyStartedAttemptIsCountedInFlightUntilItEnds() {
    RouteTable.Plan plan = plan(RetryConfig.NONE, "a");
    TargetHealth a = plan.targets().get(0).keys().get(0);
    Attempts attempts = attempts(plan);
    go(attempts);
    assertThat(a.inFlightNow()).isEqualTo(1);

    attempts.abandoned();
    attempts.abandoned();

    assertThat(a.inFlightNow()).isZero();
  }
}
