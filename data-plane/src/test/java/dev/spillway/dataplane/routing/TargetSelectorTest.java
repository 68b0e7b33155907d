package dev.spillway.dataplane.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderType;
import dev.spillway.config.RouteConfig;
import dev.spillway.config.RouteTargetConfig;
import dev.spillway.config.RoutingStrategy;
import dev.spillway.dataplane.provider.ProviderRuntime;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.net.URI;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TargetSelectorTest {
  private static final long PROBE = 60_000_000_000L;
  private final RoutingHealth health = new RoutingHealth();
  private final Map<String, ProviderRuntime> providers = new HashMap<>();

  private void provider(String name, String... keys) {
    ProviderConfig config = new ProviderConfig("id-" + name, name, ProviderType.OPENAI_COMPATIBLE,
        "http://127.0.0.1:1/v1", List.of(), Map.of(), null);
    providers.put(name, new ProviderRuntime(config, URI.create("http://127.0.0.1:1/v1"),
        Arrays.stream(keys).map(k -> new ProviderRuntime.Credential(k, 1, "sk-" + k)).toList()));
  }

  private RouteTable.Plan route(RoutingStrategy strategy, Map<String, Integer> weights) {
    weights.keySet().stream().filter(p -> !providers.containsKey(p)).forEach(p -> provider(p, "k"));
    RouteConfig route = new RouteConfig("r", "route", weights.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .map(e -> new RouteTargetConfig(e.getKey(), "m", e.getValue())).toList(), List.of(), null, strategy, true);
    return RouteTable.compile(List.of(route), List.of(), providers, health).resolve("route").orElseThrow();
  }

  private static String first(RouteTable.Plan plan, String session) {
    return TargetSelector.order(plan, session, System.nanoTime(), PROBE).get(0).provider().name();
  }

  @Test
  void weighted7030Over10000RequestsLandsWithinTwoPercent() {
    RouteTable.Plan plan = route(RoutingStrategy.WEIGHTED, Map.of("a", 70, "b", 30));
    int a = 0;
    for (int i = 0; i < 10_000; i++) {
      if (first(plan, null).equals("a")) {
        a++;
      }
    }
    assertThat(a / 10_000.0).isCloseTo(0.70, within(0.02));
  }

  @Test
  void aTargetWithWeightZeroIsOutOfRotation() {
    RouteTable.Plan plan = route(RoutingStrategy.WEIGHTED, Map.of("a", 1, "b", 0));
    for (int i = 0; i < 200; i++) {
      assertThat(TargetSelector.order(plan, null, System.nanoTime(), PROBE))
          .extracting(t -> t.provider().name()).containsExactly("a");
    }
  }

  @Test
  void leastLatencySendsAtLeastNinetyPercentToATarget20msFaster() {
    RouteTable.Plan plan = route(RoutingStrategy.LEAST_LATENCY, Map.of("fast", 1, "slow", 1));
    for (int i = 0; i < 20; i++) {
      plan.targets().get(0).keys().get(0).answered(5_000_000L);
      plan.targets().get(1).keys().get(0).answered(25_000_000L);
    }
    int fast = 0;
    for (int i = 0; i < 10_000; i++) {
      if (first(plan, null).equals("fast")) {
        fast++;
      }
    }
    assertThat(fast).isGreaterThanOrEqualTo(9_000).isLessThan(10_000); // a few explore the slow one
  }

  @Test
  void leastBusyPrefersTheTargetWithFewerRequestsInFlight() {
    RouteTable.Plan plan = route(RoutingStrategy.LEAST_BUSY, Map.of("a", 1, "b", 1));
    for (int i = 0; i < 3; i++) {
      plan.targets().get(0).keys().get(0).started();
    }
    for (int i = 0; i < 100; i++) {
      assertThat(first(plan, null)).isEqualTo("b");
    }
  }

  @Test
  void headroomSendsNothingToAKeyItsProviderReportsExhaustedUntilTheReset() {
    provider("p", "full", "empty");
    RouteTable.Plan plan = route(RoutingStrategy.HEADROOM, Map.of("p", 1));
    RouteTable.Target target = plan.targets().get(0);
    long now = System.nanoTime();
    DefaultHttpHeaders exhausted = new DefaultHttpHeaders();
    exhausted.set("x-ratelimit-remaining-requests", "0").set("x-ratelimit-limit-requests", "100")
        .set("x-ratelimit-reset-requests", "1m0s");
    target.keys().get(1).key().room(RateLimitHeaders.read(exhausted, now));

    for (int i = 0; i < 500; i++) {
      int key = TargetSelector.pickKey(target, RoutingStrategy.HEADROOM, null, 0, now, PROBE);
      assertThat(target.provider().credentials().get(key).name()).isEqualTo("full");
      target.keys().get(key).released();
    }
    // After the reset the key is usable again.
    long afterReset = now + 61_000_000_000L;
    assertThat(target.keys().get(1).key().usable(afterReset, PROBE)).isTrue();
  }

  @Test
  void headroomPrefersTheKeyWithTheLargerShareLeft() {
    provider("q", "roomy", "tight");
    RouteTable.Plan plan = route(RoutingStrategy.HEADROOM, Map.of("q", 1));
    RouteTable.Target target = plan.targets().get(0);
    long now = System.nanoTime();
    target.keys().get(0).key().room(RateLimitHeaders.read(new DefaultHttpHeaders()
        .set("x-ratelimit-remaining-tokens", "90000").set("x-ratelimit-limit-tokens", "100000")
        .set("x-ratelimit-reset-tokens", "30s"), now));
    target.keys().get(1).key().room(RateLimitHeaders.read(new DefaultHttpHeaders()
        .set("x-ratelimit-remaining-tokens", "1000").set("x-ratelimit-limit-tokens", "100000")
        .set("x-ratelimit-reset-tokens", "30s"), now));

    int key = TargetSelector.pickKey(target, RoutingStrategy.HEADROOM, null, 0, now, PROBE);

    assertThat(target.provider().credentials().get(key).name()).isEqualTo("roomy");
  }

  @Test
  void aSessionSticksToOneKeyWhileItIsUsableAndMovesWhenItCoolsDown() {
    provider("s", "k1", "k2", "k3");
    RouteTable.Plan plan = route(RoutingStrategy.WEIGHTED, Map.of("s", 1));
    RouteTable.Target target = plan.targets().get(0);
    long now = System.nanoTime();
    Set<Integer> used = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      int key = TargetSelector.pickKey(target, RoutingStrategy.WEIGHTED, "session-42", 0, now, PROBE);
      used.add(key);
      target.keys().get(key).released();
    }
    assertThat(used).hasSize(1);
    int sticky = used.iterator().next();

    target.keys().get(sticky).key().coolDown(now + 10_000_000_000L);
    Set<Integer> after = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      int key = TargetSelector.pickKey(target, RoutingStrategy.WEIGHTED, "session-42", 0, now, PROBE);
      after.add(key);
      target.keys().get(key).released();
    }
    assertThat(after).hasSize(1).doesNotContain(sticky);

    // Different sessions spread over the keys.
    Set<Integer> spread = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      int key = TargetSelector.pickKey(target, RoutingStrategy.WEIGHTED, "session-" + i, 0, now, PROBE);
      spread.add(key);
      target.keys().get(key).released();
    }
    assertThat(spread).hasSize(2);
  }

  @Test
  void withoutASessionKeysAreDrawnByWeight() {
    provider("w", "k1", "k2");
    RouteTable.Plan plan = route(RoutingStrategy.WEIGHTED, Map.of("w", 1));
    RouteTable.Target target = plan.targets().get(0);
    int[] counts = new int[2];
    for (int i = 0; i < 4_000; i++) {
      int key = TargetSelector.pickKey(target, RoutingStrategy.WEIGHTED, null, 0, System.nanoTime(), PROBE);
      counts[key]++;
      target.keys().get(key).released();
    }
    assertThat(counts[0] / 4_000.0).isCloseTo(0.5, within(0.05));
  }
}
