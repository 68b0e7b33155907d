package dev.spillway.controlplane.overview;

import dev.spillway.controlplane.alert.BudgetAlertService;
import dev.spillway.controlplane.dashboard.CurrentUser;
import dev.spillway.controlplane.dashboard.DashboardController;
import dev.spillway.controlplane.node.Fleet;
import dev.spillway.controlplane.security.CurrentActor;
import dev.spillway.controlplane.security.TeamRole;
import dev.spillway.controlplane.team.Team;
import dev.spillway.controlplane.team.TeamService;
import dev.spillway.controlplane.usage.UsageService;
import dev.spillway.controlplane.virtualkey.VirtualKey;
import dev.spillway.controlplane.virtualkey.VirtualKeyService;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import tools.jackson.databind.json.JsonMapper;

/**
 * The overview: requests, spend, error rate, cache hit rate, refusals and latency over the last day or week, from
 * recorded usage only (an empty installation shows zeros, not examples), and the latest budget alerts. A signed-in
 * user without any role sees how to get one instead.
 */
@DashboardController
class OverviewController {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  /** Budget alerts the overview lists, newest first. */
  static final int LATEST_ALERTS = 10;

  private final UsageService usage;
  private final TeamService teams;
  private final VirtualKeyService keys;
  private final Fleet fleet;
  private final BudgetAlertService alerts;

  OverviewController(UsageService usage, TeamService teams, VirtualKeyService keys, Fleet fleet,
      BudgetAlertService alerts) {
    this.usage = usage;
    this.teams = teams;
    this.keys = keys;
    this.fleet = fleet;
    this.alerts = alerts;
  }

  @GetMapping("/")
  String overview(@RequestParam(defaultValue = "24h") String range, Model model) {
    CurrentUser user = new CurrentUser(CurrentActor.get());
    if (!user.hasAnyRole()) {
      return "no-role";
    }
    Duration window = "7d".equals(range) ? Duration.ofDays(7) : Duration.ofHours(24);
    Instant to = Instant.now().truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1));
    Instant from = to.minus(window);
    List<UsageService.HourPoint> points = usage.hourly(from, to);
    UsageService.Totals totals = usage.totals(new UsageService.Query(null, null, null, from, to, null));
    Set<UUID> readable = dev.spillway.controlplane.security.Authz.readableTeamsOrAll();
    List<Team> visibleTeams = teams.list().stream().filter(t -> readable == null || readable.contains(t.id()))
        .toList();
    model.addAttribute("range", "7d".equals(range) ? "7d" : "24h");
    model.addAttribute("totals", totals);
    model.addAttribute("teamCount", visibleTeams.size());
    model.addAttribute("activeKeys", keys.search(null, VirtualKey.Status.ACTIVE, null, null, false, 1, 0).total());
    model.addAttribute("myTeams", myTeams(visibleTeams));
    model.addAttribute("latestAlerts", alerts.latest(LATEST_ALERTS));
    if (user.readsAll()) {
      List<Fleet.Member> nodes = fleet.all();
      model.addAttribute("nodeCount", nodes.size());
      model.addAttribute("nodesInSync", nodes.stream().filter(n -> n.status().equals("in_sync")).count());
      model.addAttribute("configVersion", fleet.currentVersion());
    }
    model.addAttribute("requestsChart", chart(points, "Requests", p -> (double) p.requests(), "Errors",
        p -> (double) p.errors(), null));
    model.addAttribute("spendChart", chart(points, "Spend (USD)", p -> p.spendUsd().doubleValue(), null, null, "$"));
    model.addAttribute("cacheChart", chart(points, "Cache hit rate (%)",
        p -> p.requests() == 0 ? null : 100.0 * p.cacheHits() / p.requests(), "Error rate (%)",
        p -> p.requests() == 0 ? null : 100.0 * p.errors() / p.requests(), null));
    model.addAttribute("latencyChart", chart(points, "p50 latency (ms)", UsageService.HourPoint::p50LatencyMs,
        "p95 latency (ms)", UsageService.HourPoint::p95LatencyMs, null));
    model.addAttribute("hasLatency", points.stream().anyMatch(p -> p.p50LatencyMs() != null));
    return "overview";
  }

  private static List<Map<String, Object>> myTeams(List<Team> visible) {
    var actor = CurrentActor.get();
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Team t : visible) {
      TeamRole role = actor.teamRoles().get(t.id());
      if (role != null) {
        rows.add(Map.of("id", t.id(), "name", t.name(), "role", role.wireName()));
      }
    }
    return rows;
  }

  /** The data-chart JSON that spillway.js hands to uPlot: x in unix seconds, one or two series. */
  private static String chart(List<UsageService.HourPoint> points, String label1,
      java.util.function.Function<UsageService.HourPoint, Double> series1, String label2,
      java.util.function.Function<UsageService.HourPoint, Double> series2, String unit) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("x", points.stream().map(p -> p.hour().getEpochSecond()).toList());
    List<Map<String, Object>> series = new ArrayList<>();
    series.add(series(label1, points.stream().map(series1).toList(), unit));
    if (label2 != null) {
      series.add(series(label2, points.stream().map(series2).toList(), unit));
    }
    spec.put("series", series);
    // A click on an hour opens the logs page for that hour (spillway.js).
    spec.put("logs", Map.of("href", "/logs", "step", 3600));
    return JSON.writeValueAsString(spec);
  }

  private static Map<String, Object> series(String label, List<Double> values, String unit) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("label", label);
    s.put("values", values);
    if (unit != null) {
      s.put("unit", unit);
    }
    return s;
  }
}
