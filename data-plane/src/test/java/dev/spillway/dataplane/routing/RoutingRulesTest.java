package dev.spillway.dataplane.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.RoutingRuleConfig;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutingRulesTest {
  private final RoutingRules rules = RoutingRules.compile(List.of(
      new RoutingRuleConfig("1", "eu header", 1, null, null, Map.of("x-region", "eu"), null, "eu-route"),
      new RoutingRuleConfig("2", "gold team gpt", 2, "team-gold", Map.of("tier", "gold"), null, "gpt-*",
          "premium"),
      new RoutingRuleConfig("3", "any mini", 3, null, null, null, "*-mini", "cheap")));

  private static HttpHeaders headers(String... nameValues) {
    HttpHeaders headers = new DefaultHttpHeaders();
    for (int i = 0; i < nameValues.length; i += 2) {
      headers.set(nameValues[i], nameValues[i + 1]);
    }
    return headers;
  }

  @Test
  void theFirstRuleWhoseEveryConditionHoldsWins() {
    assertThat(rules.routeFor("team-gold", Map.of("tier", "gold"), headers("x-region", "eu"), "gpt-4o"))
        .isEqualTo("eu-route");
    assertThat(rules.routeFor("team-gold", Map.of("tier", "gold"), headers(), "gpt-4o")).isEqualTo("premium");
    assertThat(rules.routeFor("team-gold", Map.of("tier", "gold"), headers(), "gpt-4o-mini")).isEqualTo("premium");
    assertThat(rules.routeFor("team-other", Map.of("tier", "gold"), headers(), "gpt-4o-mini")).isEqualTo("cheap");
    assertThat(rules.routeFor("team-gold", Map.of("tier", "silver"), headers(), "gpt-4o")).isNull();
    assertThat(rules.routeFor("team-gold", Map.of(), headers("x-region", "us"), "claude")).isNull();
  }

  @Test
  void theModelPatternIsAGlobWithNothingElseSpecial() {
    assertThat(RoutingRules.glob("gpt-*").matcher("gpt-4o").matches()).isTrue();
    assertThat(RoutingRules.glob("gpt-*").matcher("xgpt-4o").matches()).isFalse();
    assertThat(RoutingRules.glob("*").matcher("anything/at.all").matches()).isTrue();
    assertThat(RoutingRules.glob("a.b").matcher("axb").matches()).isFalse();
    assertThat(RoutingRules.glob("openai/*-mini").matcher("openai/gpt-4o-mini").matches()).isTrue();
  }
}
