package dev.spillway.dataplane.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderType;
import dev.spillway.config.RetryConfig;
import dev.spillway.config.RouteConfig;
import dev.spillway.config.RouteTargetConfig;
import dev.spillway.dataplane.provider.ProviderRuntime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteTableTest {
  private static ProviderRuntime provider(String name) {
    return new ProviderRuntime(new ProviderConfig("id-" + name, name, ProviderType.MOCK, null, List.of(), Map.of(),
        null), null, List.of());
  }

  private final Map<String, ProviderRuntime> providers = Map.of("a", provider("a"), "b", provider("b"),
      "c", provider("c"), "z", provider("z"));

  @Test
  void resolvesRoutesBeforeProviderSlashModel() {
    RouteTable table = RouteTable.compile(List.of(new RouteConfig("r", "a/shadowed",
        List.of(new RouteTargetConfig("b", "m", 1)), List.of(), null)), providers);

    assertThat(table.resolve("a/shadowed").orElseThrow().targets()).extracting(t -> t.provider().name())
        .containsExactly("b");
    RouteTable.Plan direct = table.resolve("c/gpt-4o").orElseThrow();
    assertThat(direct.routeName()).isNull();
    assertThat(direct.targets()).singleElement().satisfies(t -> {
      assertThat(t.provider().name()).isEqualTo("c");
      assertThat(t.model()).isEqualTo("gpt-4o");
    });
    assertThat(table.resolve("nope/x")).isEmpty();
    assertThat(table.resolve("plain")).isEmpty();
    assertThat(table.resolve("a/")).isEmpty();
  }

  @Test
  void listsTheRoutesTargetsThenItsFallbacksWithTheirHealthPerKey() {
    RouteConfig route = new RouteConfig("r", "weighted", List.of(new RouteTargetConfig("a", "m", 3),
        new RouteTargetConfig("b", "m", 1)), List.of(new RouteTargetConfig("z", "last", 0)), new RetryConfig(2, 50));
    RoutingHealth health = new RoutingHealth();
    RouteTable table = RouteTable.compile(List.of(route), List.of(), providers, health);

    RouteTable.Plan plan = table.resolve("weighted").orElseThrow();

    assertThat(plan.targets()).extracting(t -> t.provider().name()).containsExactly("a", "b", "z");
    assertThat(plan.primaries()).isEqualTo(2);
    assertThat(plan.retry()).isEqualTo(new RetryConfig(2, 50));
    assertThat(plan.targets().get(0).keys()).singleElement()
        .satisfies(k -> assertThat(k.key().keyName()).isEqualTo(RoutingHealth.NO_KEY));
    // A recompiled table (a new snapshot) keeps the same health: breakers outlive snapshots.
    RouteTable again = RouteTable.compile(List.of(route), List.of(), providers, health);
    assertThat(again.resolve("weighted").orElseThrow().targets().get(0).keys().get(0))
        .isSameAs(plan.targets().get(0).keys().get(0));
  }
}
