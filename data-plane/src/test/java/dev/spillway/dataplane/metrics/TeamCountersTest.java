package dev.spillway.dataplane.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.usage.UsageEvent;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TeamCountersTest {
  private final PrometheusNodeMetrics metrics = new PrometheusNodeMetrics(2, 2);

  private String text() {
    return new String(metrics.scrape(), StandardCharsets.UTF_8);
  }

  @Test
  void countsRequestsByStatusClassTokensByKindCostAndCacheResults() {
    metrics.settled("research", "chat", event(200, 100, 40, 30, 5, "0.0012", "miss"));
    metrics.settled("research", "chat", event(200, 100, 40, 0, 0, "0", "hit-exact"));
    metrics.settled("research", "chat", event(429, 0, 0, 0, 0, "0", null));
    metrics.settled("research", "chat", event(499, 10, 2, 0, 0, "0.0001", "shadow-miss"));
    metrics.settled("research", "chat", event(502, 0, 0, 0, 0, "0", "bypass"));

    String text = text();

    assertThat(value(text, "spillway_team_requests_total", "status_class", "2xx")).isEqualTo(2);
    assertThat(value(text, "spillway_team_requests_total", "status_class", "4xx")).isEqualTo(2);
    assertThat(value(text, "spillway_team_requests_total", "status_class", "5xx")).isEqualTo(1);
    assertThat(value(text, "spillway_team_tokens_total", "kind", "input")).isEqualTo(210);
    assertThat(value(text, "spillway_team_tokens_total", "kind", "output")).isEqualTo(82);
    assertThat(value(text, "spillway_team_tokens_total", "kind", "cached_input")).isEqualTo(30);
    assertThat(value(text, "spillway_team_tokens_total", "kind", "reasoning")).isEqualTo(5);
    assertThat(MetricsText.value(text, "spillway_team_cost_usd_total", "team", "research", "route", "chat"))
        .isCloseTo(0.0013, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(value(text, "spillway_team_cache_total", "result", "miss")).isEqualTo(1);
    assertThat(value(text, "spillway_team_cache_total", "result", "hit-exact")).isEqualTo(1);
    assertThat(value(text, "spillway_team_cache_total", "result", "shadow-miss")).isEqualTo(1);
    assertThat(text).as("bypass is not a cache result, and a result that never happened has no series")
        .doesNotContain("result=\"bypass\"").doesNotContain("result=\"hit-semantic\"");
  }

  @Test
  void countsTeamsAndRoutesPastTheBoundAsOther() {
    metrics.settled("a", "r1", event(200, 1, 1, 0, 0, "0", null));
    metrics.settled("b", "r2", event(200, 1, 1, 0, 0, "0", null));
    metrics.settled("c", "r1", event(200, 1, 1, 0, 0, "0", null));
    metrics.settled("d", "r3", event(200, 1, 1, 0, 0, "0", null));
    metrics.settled("a", "r4", event(200, 1, 1, 0, 0, "0", null));
    metrics.settled("c", "r1", event(200, 1, 1, 0, 0, "0", null));

    String text = text();

    assertThat(MetricsText.value(text, "spillway_team_requests_total", "team", "a", "route", "r1")).isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_team_requests_total", "team", "b", "route", "r2")).isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_team_requests_total", "team", "other", "route", "r1")).isEqualTo(2);
    assertThat(MetricsText.value(text, "spillway_team_requests_total", "team", "other", "route", "other"))
        .isEqualTo(1);
    assertThat(MetricsText.value(text, "spillway_team_requests_total", "team", "a", "route", "other")).isEqualTo(1);
    assertThat(text).doesNotContain("team=\"c\"").doesNotContain("team=\"d\"").doesNotContain("route=\"r3\"")
        .doesNotContain("route=\"r4\"");
  }

  @Test
  void escapesLabelValuesAsTheTextFormatRequires() {
    metrics.settled("R&D \"core\" \\ ops\nteam", NodeMetrics.ROUTE_DIRECT, event(200, 1, 0, 0, 0, "0", null));

    assertThat(text()).contains("spillway_team_requests_total{route=\"direct\",status_class=\"2xx\","
        + "team=\"R&D \\\"core\\\" \\\\ ops\\nteam\"} 1");
  }

  @Test
  void labelsRequestsOutsideAnyRouteAsDirectAndUnresolvedOnesAsNone() {
    assertThat(NodeMetrics.routeLabel(true, "chat")).isEqualTo("chat");
    assertThat(NodeMetrics.routeLabel(true, null)).isEqualTo(NodeMetrics.ROUTE_DIRECT);
    assertThat(NodeMetrics.routeLabel(false, null)).isEqualTo(NodeMetrics.ROUTE_NONE);
  }

  private static double value(String text, String name, String label, String value) {
    return MetricsText.value(text, name, "team", "research", "route", "chat", label, value);
  }

  private static UsageEvent event(int status, long input, long output, long cachedInput, long reasoning, String cost,
      String cache) {
    return new UsageEvent("req-" + System.nanoTime(), Instant.now(), "node", "org", "team-id", "key-id", "chat",
        "p", "m", "chat_completions", status, null, input, output, cachedInput, reasoning, new BigDecimal(cost), false,
        UsageEvent.SOURCE_PROVIDER, cache, null, BigDecimal.ZERO, 1, 10, null, false, false, null);
  }
}
