package dev.spillway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class PromQlTest {

  @Test
  void findsTheMetricsOfAQuantileQuery() {
    assertThat(PromQl.metricNames("histogram_quantile(0.99, sum by (le, endpoint) "
        + "(rate(spillway_request_duration_seconds_bucket{endpoint=~\"chat|messages\"}[$__rate_interval])))"))
        .containsExactly("spillway_request_duration_seconds_bucket");
  }

  @Test
  void findsBothSidesOfABinaryOperationAndIgnoresNumbersAndKeywords() {
    assertThat(PromQl.metricNames("sum(rate(spillway_errors_total[5m])) / clamp_min(sum without (code) "
        + "(rate(spillway_requests_total[5m] offset 1h)), 1e-9) * 3600 > bool 0.5"))
        .containsExactlyInAnyOrder("spillway_errors_total", "spillway_requests_total");
  }

  @Test
  void keepsAMisspeltMetricSoTheCatalogCheckReportsIt() {
    Set<String> names = PromQl.metricNames("sum by (team) (rate(spilway_team_cost_usd_total{team=~\"$team\"}[1h]))");
    assertThat(names).containsExactly("spilway_team_cost_usd_total");
    assertThat(MetricCatalog.isExposed("spilway_team_cost_usd_total", MetricCatalog.knownBaseNames())).isFalse();
  }

  @Test
  void catalogAcceptsExpositionSuffixesOfDeclaredNamesOnly() {
    Set<String> known = Set.of("spillway_cache_hits_exact", "spillway_request_duration_seconds",
        "spillway_requests_total");
    assertThat(MetricCatalog.isExposed("spillway_cache_hits_exact_total", known)).isTrue();
    assertThat(MetricCatalog.isExposed("spillway_request_duration_seconds_bucket", known)).isTrue();
    assertThat(MetricCatalog.isExposed("spillway_requests_total", known)).isTrue();
    assertThat(MetricCatalog.isExposed("spillway_cache_hits_total", known)).isFalse();
  }

  @Test
  void readsTheNodesDeclaredMetricNamesFromItsSource() {
    // If this fails the scan no longer finds the node's metrics, and the dashboard check would prove nothing.
    assertThat(MetricCatalog.declaredNodeNames())
        .contains("spillway_requests_total", "spillway_request_duration_seconds", "spillway_cache_hits_exact",
            "spillway_breaker_state", "spillway_upstream_attempts_total");
  }
}
