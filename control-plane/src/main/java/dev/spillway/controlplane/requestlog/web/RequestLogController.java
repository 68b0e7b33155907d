package dev.spillway.controlplane.requestlog.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.dashboard.DashboardController;
import dev.spillway.controlplane.dashboard.Htmx;
import dev.spillway.controlplane.requestlog.Attempt;
import dev.spillway.controlplane.requestlog.Conversation;
import dev.spillway.controlplane.requestlog.ReplayService;
import dev.spillway.controlplane.requestlog.RequestLog;
import dev.spillway.controlplane.requestlog.RequestLogDetail;
import dev.spillway.controlplane.requestlog.RequestLogQuery;
import dev.spillway.controlplane.requestlog.RequestLogService;
import dev.spillway.controlplane.routing.Route;
import dev.spillway.controlplane.routing.RouteService;
import dev.spillway.controlplane.security.Actor;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.security.CurrentActor;
import dev.spillway.controlplane.team.Team;
import dev.spillway.controlplane.team.TeamService;
import dev.spillway.controlplane.virtualkey.VirtualKey;
import dev.spillway.controlplane.virtualkey.VirtualKeyService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The logs page: the request log filtered and paged (the same filters and cursor as {@code GET /api/v1/requests}),
 * one request with its attempts as a timeline and its stored conversation as chat bubbles, and its replay against
 * another model with both answers side by side.
 */
@DashboardController
class RequestLogController {
  private static final DateTimeFormatter LOCAL_INPUT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm")
      .withZone(ZoneOffset.UTC);
  /** At most this many keys are offered to charge a replay to. */
  static final int REPLAY_KEYS = 500;

  /** The filter form as it was sent, times as a {@code datetime-local} field shows them (UTC). */
  record Filters(String requestId, String teamId, String keyId, String route, String provider, String model,
      String status, String cache, String minLatencyMs, String from, String to) {}

  /** One attempt's bar on the timeline: offset and width in percent of the whole request. */
  record Bar(Attempt attempt, double leftPercent, double widthPercent) {}

  private final RequestLogService logs;
  private final ReplayService replays;
  private final TeamService teams;
  private final VirtualKeyService keys;
  private final RouteService routes;
  private final JsonMapper json;

  RequestLogController(RequestLogService logs, ReplayService replays, TeamService teams, VirtualKeyService keys,
      RouteService routes, JsonMapper json) {
    this.logs = logs;
    this.replays = replays;
    this.teams = teams;
    this.keys = keys;
    this.routes = routes;
    this.json = json;
  }

  @GetMapping("/logs")
  String list(@RequestParam(name = "request_id", required = false) String requestId,
      @RequestParam(name = "team_id", required = false) String teamId,
      @RequestParam(name = "key_id", required = false) String keyId,
      @RequestParam(required = false) String route, @RequestParam(required = false) String provider,
      @RequestParam(required = false) String model, @RequestParam(required = false) String status,
      @RequestParam(required = false) String cache,
      @RequestParam(name = "min_latency_ms", required = false) String minLatencyMs,
      @RequestParam(required = false) String from, @RequestParam(required = false) String to,
      @RequestParam(required = false) String cursor, HttpServletRequest request, Model page) {
    RequestLogQuery query = RequestLogQuery.parse(new RequestLogQuery.Params(requestId, teamId, keyId, route,
        provider, model, status, cache, minLatencyMs, from, to, null, cursor), Instant.now());
    RequestLogService.Page rows = logs.list(query);
    // The form shows the range that was searched, so "older" pages and a reload search the same one.
    Filters filters = new Filters(blank(requestId), blank(teamId), blank(keyId), blank(route), blank(provider),
        blank(model), blank(status), blank(cache), blank(minLatencyMs), LOCAL_INPUT.format(query.from()),
        LOCAL_INPUT.format(query.to()));
    page.addAttribute("filters", filters);
    page.addAttribute("rows", rows.rows());
    page.addAttribute("nextCursor", rows.nextCursor() == null ? null : rows.nextCursor().encode());
    page.addAttribute("paged", query.after() != null);
    page.addAttribute("teams", readableTeams());
    page.addAttribute("teamNames", teamNames());
    return Htmx.view(request, "logs/list", "results");
  }

  @GetMapping("/logs/{requestId}")
  String detail(@PathVariable String requestId, Model page) {
    RequestLogDetail detail = logs.find(requestId).orElseThrow(() -> ApiException.notFound("request", requestId));
    RequestLog r = detail.record();
    page.addAttribute("r", r);
    page.addAttribute("teamName", teamNames().get(r.teamId()));
    page.addAttribute("bars", bars(detail));
    page.addAttribute("turns", Conversation.of(r.clientApi(), detail.request(), detail.response()));
    page.addAttribute("requestJson", pretty(detail.request()));
    page.addAttribute("responseJson", pretty(detail.response()));
    boolean replayable = detail.request() != null && detail.request().isObject() && !r.requestTruncated();
    page.addAttribute("replayable", replayable);
    if (replayable) {
      List<VirtualKey> replayKeys = replayKeys();
      page.addAttribute("replayKeys", replayKeys);
      page.addAttribute("replayModels", replayModels());
      page.addAttribute("mayReplay", !replayKeys.isEmpty());
    }
    return "logs/detail";
  }

  @PostMapping("/logs/{requestId}/replay")
  String replay(@PathVariable String requestId, @RequestParam(required = false) String model,
      @RequestParam(name = "key_id", required = false) String keyId, HttpServletResponse response, Model page) {
    try {
      ReplayService.Outcome outcome = replays.replay(requestId, model, keyId);
      RequestLog original = outcome.original().record();
      page.addAttribute("original", original);
      page.addAttribute("originalTurns", Conversation.of(original.clientApi(), null, outcome.original().response()));
      page.addAttribute("originalJson", pretty(outcome.original().response()));
      page.addAttribute("replay", outcome.replay());
      page.addAttribute("replayTurns", Conversation.of(original.clientApi(), null, outcome.replay().response()));
      page.addAttribute("replayJson", pretty(outcome.replay().response()));
    } catch (ApiException e) {
      if (e.status() == HttpStatus.FORBIDDEN || e.status() == HttpStatus.NOT_FOUND) {
        throw e;
      }
      // A wrong model or key, a body that cannot be replayed, a node out of reach: said next to the form.
      response.setStatus(422);
      page.addAttribute("replayError", e.getMessage());
    }
    return "logs/detail :: replay-result";
  }

  /** The attempts as bars over the request's whole time (at least the sum of what the attempts took). */
  static List<Bar> bars(RequestLogDetail detail) {
    long span = Math.max(1, detail.record().latencyMs());
    for (Attempt a : detail.attempts()) {
      span = Math.max(span, a.startedMs() + a.latencyMs());
    }
    List<Bar> bars = new ArrayList<>();
    for (Attempt a : detail.attempts()) {
      double left = 100.0 * Math.max(0, a.startedMs()) / span;
      double width = Math.max(0.5, 100.0 * a.latencyMs() / span);
      bars.add(new Bar(a, round(left), round(Math.min(width, 100 - left))));
    }
    return bars;
  }

  private static double round(double percent) {
    return Math.round(percent * 100) / 100.0;
  }

  /** Active, unexpired keys of the teams the caller administers (all teams for an org admin). */
  private List<VirtualKey> replayKeys() {
    Actor actor = CurrentActor.get();
    Instant now = Instant.now();
    List<VirtualKey> usable = new ArrayList<>();
    for (VirtualKey k : keys.list(null, VirtualKey.Status.ACTIVE, REPLAY_KEYS, 0)) {
      if (actor.canAdminTeam(k.teamId()) && (k.expiresAt() == null || now.isBefore(k.expiresAt()))) {
        usable.add(k);
      }
    }
    usable.sort(Comparator.comparing(k -> k.name().toLowerCase(Locale.ROOT)));
    return usable;
  }

  /** Route names, then every provider/model a route targets: the suggestions of the model field. */
  private List<String> replayModels() {
    Set<String> models = new LinkedHashSet<>();
    List<Route> all = routes.list();
    all.stream().map(Route::model).sorted().forEach(models::add);
    for (Route route : all) {
      route.targets().forEach(t -> models.add(t.providerName() + "/" + t.model()));
      route.fallbacks().forEach(t -> models.add(t.providerName() + "/" + t.model()));
    }
    return List.copyOf(models);
  }

  private List<Team> readableTeams() {
    Set<UUID> readable = Authz.readableTeamsOrAll();
    return teams.list().stream().filter(t -> readable == null || readable.contains(t.id()))
        .sorted(Comparator.comparing(t -> t.name().toLowerCase(Locale.ROOT))).toList();
  }

  private Map<UUID, String> teamNames() {
    Map<UUID, String> names = new HashMap<>();
    readableTeams().forEach(t -> names.put(t.id(), t.name()));
    return names;
  }

  private String pretty(JsonNode node) {
    if (node == null) {
      return null;
    }
    return node.isString() ? node.asString() : json.writerWithDefaultPrettyPrinter().writeValueAsString(node);
  }

  private static String blank(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }
}
