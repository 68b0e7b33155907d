package dev.spillway.dataplane.metrics;

import dev.spillway.dataplane.usage.UsageEvent;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Requests, tokens, cost and cache results per team and route, from each request's usage event:
 * {@code spillway_team_requests_total{team,route,status_class}}, {@code spillway_team_tokens_total{team,route,kind}},
 * {@code spillway_team_cost_usd_total{team,route}} and {@code spillway_team_cache_total{team,route,result}}.
 *
 * <p>Cardinality is bounded: the first {@code maxTeams} team names and the first {@code maxRoutes} route names keep
 * their own label; later ones are counted as {@value #OTHER}. Names come from the config, so in practice the bound
 * matters only for a large organisation (or many renames over a node's life).
 *
 * <p>Hot path: two {@link ConcurrentHashMap#get} calls (team, then route within it) reach the series of a team and
 * route, resolved on first use, and an array read each data point; recording is then a few adder increments. Only
 * the first sighting of a team or route takes a lock.
 */
final class TeamCounters {
  static final String OTHER = "other";
  /** Names the maps remember beyond the label bound before an unseen name is resolved anew on each use. */
  private static final int REMEMBERED_PER_LABEL = 4;

  private static final int STATUS_2XX = 0;
  private static final int STATUS_4XX = 1;
  private static final int STATUS_5XX = 2;
  private static final int INPUT = 3;
  private static final int OUTPUT = 4;
  private static final int CACHED_INPUT = 5;
  private static final int REASONING = 6;
  private static final int COST = 7;
  private static final int HIT_EXACT = 8;
  private static final int HIT_SEMANTIC = 9;
  private static final int MISS = 10;
  private static final int SHADOW_HIT = 11;
  private static final int SHADOW_MISS = 12;
  private static final int POINTS = 13;

  private final int maxTeams;
  private final int maxRoutes;
  private final Counter requests;
  private final Counter tokens;
  private final Counter cost;
  private final Counter cache;
  /** By team name; a name past the bound maps to the series of {@value #OTHER}. */
  private final ConcurrentHashMap<String, TeamSeries> teams = new ConcurrentHashMap<>();
  /** Label values handed out so far; guarded by {@code this}. */
  private final Set<String> teamLabels = new HashSet<>();
  private final Set<String> routeLabels = new HashSet<>();

  TeamCounters(PrometheusRegistry registry, int maxTeams, int maxRoutes) {
    this.maxTeams = maxTeams;
    this.maxRoutes = maxRoutes;
    requests = Counter.builder().name("spillway_team_requests_total")
        .help("Requests that reached admission, by team, route and status class (2xx, 4xx, 5xx)")
        .labelNames("team", "route", "status_class").withoutExemplars().register(registry);
    tokens = Counter.builder().name("spillway_team_tokens_total")
        .help("Tokens by team, route and kind (input, output, cached_input, reasoning), as usage records them")
        .labelNames("team", "route", "kind").withoutExemplars().register(registry);
    cost = Counter.builder().name("spillway_team_cost_usd_total")
        .help("Cost in USD by team and route, at the prices of the snapshot")
        .labelNames("team", "route").withoutExemplars().register(registry);
    cache = Counter.builder().name("spillway_team_cache_total")
        .help("Cache results by team and route: hit-exact, hit-semantic, miss, shadow-hit, shadow-miss")
        .labelNames("team", "route", "result").withoutExemplars().register(registry);
  }

  void record(String team, String route, UsageEvent event) {
    RouteSeries series = series(team == null ? OTHER : team, route == null ? OTHER : route);
    int status = event.statusCode();
    series.inc(status >= 500 ? STATUS_5XX : status >= 400 ? STATUS_4XX : STATUS_2XX);
    series.add(INPUT, event.inputTokens());
    series.add(OUTPUT, event.outputTokens());
    series.add(CACHED_INPUT, event.cachedInputTokens());
    series.add(REASONING, event.reasoningTokens());
    if (event.costUsd().signum() > 0) {
      series.point(COST).inc(event.costUsd().doubleValue());
    }
    String cacheStatus = event.cacheStatus();
    if (cacheStatus != null) {
      int result = switch (cacheStatus) {
        case "hit-exact" -> HIT_EXACT;
        case "hit-semantic" -> HIT_SEMANTIC;
        case "miss" -> MISS;
        case "shadow-hit" -> SHADOW_HIT;
        case "shadow-miss" -> SHADOW_MISS;
        default -> -1; // bypass: the cache was not asked
      };
      if (result >= 0) {
        series.inc(result);
      }
    }
  }

  private RouteSeries series(String team, String route) {
    TeamSeries byTeam = teams.get(team);
    if (byTeam == null) {
      byTeam = team(team);
    }
    RouteSeries series = byTeam.routes.get(route);
    return series != null ? series : route(byTeam, route);
  }

  private synchronized TeamSeries team(String name) {
    TeamSeries series = teams.get(name);
    if (series != null) {
      return series;
    }
    String label = label(name, teamLabels, maxTeams);
    series = teams.get(label);
    if (series == null) {
      series = new TeamSeries(label);
      teams.put(label, series);
    }
    if (teams.size() < maxTeams * REMEMBERED_PER_LABEL) {
      teams.put(name, series);
    }
    return series;
  }

  private synchronized RouteSeries route(TeamSeries team, String name) {
    RouteSeries series = team.routes.get(name);
    if (series != null) {
      return series;
    }
    String label = label(name, routeLabels, maxRoutes);
    series = team.routes.get(label);
    if (series == null) {
      series = new RouteSeries(team.label, label);
      team.routes.put(label, series);
    }
    if (team.routes.size() < maxRoutes * REMEMBERED_PER_LABEL) {
      team.routes.put(name, series);
    }
    return series;
  }

  /** {@code name} itself while there is room for another label value, else {@value #OTHER}. */
  private static String label(String name, Set<String> labels, int max) {
    if (labels.contains(name)) {
      return name;
    }
    if (labels.size() < max) {
      labels.add(name);
      return name;
    }
    return OTHER;
  }

  /** The routes of one team label. */
  private static final class TeamSeries {
    final String label;
    final ConcurrentHashMap<String, RouteSeries> routes = new ConcurrentHashMap<>();

    TeamSeries(String label) {
      this.label = label;
    }
  }

  /**
   * The data points of one team and route label pair, each created on first use: a team without a cache, or
   * without reasoning models, shows no series for them.
   */
  private final class RouteSeries {
    final String team;
    final String route;
    final AtomicReferenceArray<CounterDataPoint> points = new AtomicReferenceArray<>(POINTS);

    RouteSeries(String team, String route) {
      this.team = team;
      this.route = route;
    }

    void inc(int point) {
      point(point).inc();
    }

    void add(int point, long amount) {
      if (amount > 0) {
        point(point).inc(amount);
      }
    }

    CounterDataPoint point(int index) {
      CounterDataPoint point = points.get(index);
      if (point == null) {
        // The client library hands out one data point per label set, so a race creates nothing twice.
        point = switch (index) {
          case STATUS_2XX -> requests.labelValues(team, route, "2xx");
          case STATUS_4XX -> requests.labelValues(team, route, "4xx");
          case STATUS_5XX -> requests.labelValues(team, route, "5xx");
          case INPUT -> tokens.labelValues(team, route, "input");
          case OUTPUT -> tokens.labelValues(team, route, "output");
          case CACHED_INPUT -> tokens.labelValues(team, route, "cached_input");
          case REASONING -> tokens.labelValues(team, route, "reasoning");
          case COST -> cost.labelValues(team, route);
          case HIT_EXACT -> cache.labelValues(team, route, "hit-exact");
          case HIT_SEMANTIC -> cache.labelValues(team, route, "hit-semantic");
          case MISS -> cache.labelValues(team, route, "miss");
          case SHADOW_HIT -> cache.labelValues(team, route, "shadow-hit");
          case SHADOW_MISS -> cache.labelValues(team, route, "shadow-miss");
          default -> throw new IllegalArgumentException("point: " + index);
        };
        points.set(index, point);
      }
      return point;
    }
  }
}
