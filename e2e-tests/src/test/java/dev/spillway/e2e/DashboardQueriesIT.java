package dev.spillway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.dataplane.SpillwayNode;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.Promtool;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Grafana dashboard against what the two planes really expose. A node and a control plane take traffic that
 * touches every panel (a priced answer, a provider error, a cache miss and hit), then both {@code /metrics} pages are
 * scraped, and every metric a panel queries must be a series that exposition has: a histogram is {@code _bucket},
 * {@code _sum} and {@code _count}, never its bare name. The deploy module's tests check the dashboard against the
 * names the code declares; only a real scrape shows what Prometheus can select (a panel once read a histogram's bare
 * name and stayed empty).
 */
class DashboardQueriesIT {
  static final JsonMapper JSON = JsonMapper.builder().build();
  /** A metric name in a query: the planes' own and the framework's (Micrometer's JVM and HikariCP binders). */
  static final Pattern METRIC = Pattern.compile("\\b((?:spillway|hikaricp|jvm|process|system)_[a-z0-9_]+)\\b");

  static Stack stack;
  static FakeProvider provider;
  static SpillwayNode node;
  static String key;

  @BeforeAll
  static void start() throws Exception {
    provider = FakeProvider.start();
    stack = new Stack("e2e_dashboard").startControlPlane(Map.of());
    String teamId = JSON.readTree(stack.admin("POST", "/api/v1/teams",
        "{\"name\":\"ops\",\"cache\":{\"mode\":\"exact\"}}").body()).path("id").asString();
    stack.openAiAssistantRoute(provider.baseUrl(), true);
    key = stack.createKey(teamId);
    node = stack.startNode(Files.createTempDirectory("e2e-dashboard"), stack.controlPlaneUri(),
        stack.databaseEnv());
    stack.awaitCurrentSnapshot(java.util.List.of(node));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    stack.close();
    provider.close();
  }

  @Test
  void everyPanelQueriesSeriesThePlanesExpose() throws Exception {
    provider.respondWith(FakeResponse.chat().usage(1000, 200));
    assertThat(stack.chat(node, key, "assistant", "What is a gateway?").statusCode()).isEqualTo(200);
    node.cache().flushWrites();
    assertThat(stack.chat(node, key, "assistant", "What is a gateway?").headers().firstValue("x-spillway-cache"))
        .contains("hit-exact");
    provider.respondWith(FakeResponse.error(500, "boom"));
    assertThat(stack.chat(node, key, "assistant", "And a breaker?").statusCode()).isGreaterThanOrEqualTo(500);
    // The control plane's ingest counters move once the node has shipped these requests' usage.
    String cp = "http://127.0.0.1:" + stack.controlPlaneManagementPort() + "/metrics";
    await().atMost(Duration.ofSeconds(30)).until(() -> scrape(cp).contains("spillway_cp_usage_events_ingested_total")
        && counter(scrape(cp), "spillway_cp_usage_events_ingested_total") >= 3);
    // The GC pause timer exists from the first collection on (a real control plane has one within minutes). The
    // control plane runs in this JVM, so one is asked for here rather than waited for.
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      System.gc();
      return scrape(cp).contains("jvm_gc_pause_seconds_sum");
    });

    String nodeMetrics = scrape("http://127.0.0.1:" + node.adminPort() + "/metrics");
    String cpMetrics = scrape(cp);
    Set<String> series = new TreeSet<>();
    series.addAll(seriesNames(nodeMetrics));
    series.addAll(seriesNames(cpMetrics));

    Map<String, Set<String>> missingByPanel = new TreeMap<>();
    int queries = 0;
    for (Map.Entry<String, String> query : panelQueries().entrySet()) {
      queries++;
      Matcher m = METRIC.matcher(query.getValue());
      while (m.find()) {
        if (!series.contains(m.group(1))) {
          missingByPanel.computeIfAbsent(query.getKey(), k -> new TreeSet<>()).add(m.group(1));
        }
      }
    }
    assertThat(queries).isGreaterThan(20);
    assertThat(missingByPanel).as("metrics queried but not exposed, by panel (exposed: %s)", series).isEmpty();
  }

  @Test
  void prometheusLintFindsNothingInEitherPlanesOwnMetrics() {
    Promtool promtool = Promtool.require();
    provider.respondWith(FakeResponse.chat().usage(10, 2));
    assertThat(stack.chat(node, key, "assistant", "Lint me").statusCode()).isEqualTo(200);

    Promtool.Result nodeLint = promtool.run(scrape("http://127.0.0.1:" + node.adminPort() + "/metrics"),
        "check", "metrics");
    Promtool.Result cpLint = promtool.run(scrape("http://127.0.0.1:" + stack.controlPlaneManagementPort()
        + "/metrics"), "check", "metrics");

    // The node exposes only its own metrics: all clean. The control plane's framework meters (Spring Security's
    // filter chain, Tomcat, the JVM) draw lint of their own; Spillway's must not.
    assertThat(nodeLint.exitCode()).as(nodeLint.output()).isZero();
    assertThat(cpLint.output().lines().filter(line -> line.startsWith("spillway_"))).isEmpty();
    assertThat(cpLint.output()).doesNotContain("error while linting");
  }

  /** Every panel's queries, keyed by panel title and query number. */
  static Map<String, String> panelQueries() throws Exception {
    JsonNode dashboard = JSON.readTree(Files.readString(repoRoot()
        .resolve("deploy/helm/spillway/dashboards/spillway.json")));
    Map<String, String> queries = new TreeMap<>();
    collect(dashboard.path("panels"), queries);
    return queries;
  }

  private static void collect(JsonNode panels, Map<String, String> queries) {
    for (JsonNode panel : panels) {
      collect(panel.path("panels"), queries);
      int i = 0;
      for (JsonNode target : panel.path("targets")) {
        if (target.hasNonNull("expr")) {
          queries.put(panel.path("title").asString() + " #" + (++i), target.path("expr").asString());
        }
      }
    }
  }

  /** The names of the series a Prometheus text exposition carries (sample lines, not the HELP and TYPE comments). */
  static Set<String> seriesNames(String exposition) {
    Set<String> names = new TreeSet<>();
    for (String line : exposition.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int end = 0;
      while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
        end++;
      }
      names.add(line.substring(0, end));
    }
    return names;
  }

  static double counter(String exposition, String name) {
    double total = 0;
    for (String line : exposition.split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  static String scrape(String url) {
    var response = stack.send(HttpRequest.newBuilder(URI.create(url)).GET().build());
    assertThat(response.statusCode()).as(url).isEqualTo(200);
    return response.body();
  }

  static Path repoRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.exists(dir.resolve("deploy/helm/spillway/dashboards/spillway.json"))) {
        return dir;
      }
    }
    throw new AssertionError("no deploy/ above " + Path.of("").toAbsolutePath());
  }
}
