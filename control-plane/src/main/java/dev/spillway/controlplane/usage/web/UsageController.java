package dev.spillway.controlplane.usage.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.dashboard.DashboardController;
import dev.spillway.controlplane.dashboard.Htmx;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.team.Team;
import dev.spillway.controlplane.team.TeamService;
import dev.spillway.controlplane.usage.UsageService;
import dev.spillway.controlplane.virtualkey.VirtualKey;
import dev.spillway.controlplane.virtualkey.VirtualKeyService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import tools.jackson.databind.json.JsonMapper;

/**
 * The usage explorer: recorded usage by team, key, model, provider or day over a date range, as a table, a chart
 * and a CSV download of the same rows.
 */
@DashboardController
class UsageController {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  /** How many key rows get a name (one lookup each); further rows show the key id. */
  static final int KEY_LABELS = 200;

  /**
   * A row with a readable label for its group (a team or key name instead of an id), and the logs page filtered to
   * the requests behind it ({@code logsHref}).
   */
  record Row(String group, String label, String href, String logsHref, UsageService.Row usage) {}

  /** The explorer's filters as the form sends them (dates are UTC days, {@code to} inclusive). */
  record Filters(String team, String key, String model, String from, String to, String group) {}

  private final UsageService usage;
  private final TeamService teams;
  private final VirtualKeyService keys;

  UsageController(UsageService usage, TeamService teams, VirtualKeyService keys) {
    this.usage = usage;
    this.teams = teams;
    this.keys = keys;
  }

  @GetMapping("/usage")
  String explore(@RequestParam(required = false) String team, @RequestParam(required = false) String key,
      @RequestParam(required = false) String model, @RequestParam(required = false) String from,
      @RequestParam(required = false) String to, @RequestParam(defaultValue = "team") String group,
      HttpServletRequest request, Model page) {
    Filters filters = defaults(new Filters(team, key, model, from, to, group));
    UsageService.Query query = query(filters);
    List<Row> rows = rows(query);
    page.addAttribute("filters", filters);
    page.addAttribute("logsHref", logsHref(query, null, null));
    page.addAttribute("rows", rows);
    page.addAttribute("totals", usage.totals(query));
    page.addAttribute("teams", readableTeams());
    page.addAttribute("chart", chart(rows, filters.group(), logsHref(query, null, null)));
    // Independent of the date range: a missing price matters now, whatever period is being looked at.
    page.addAttribute("unpriced", usage.unpriced(query.teamId(), Instant.now().minus(UsageService.UNPRICED_WINDOW)));
    page.addAttribute("unpricedDays", UsageService.UNPRICED_WINDOW.toDays());
    return Htmx.view(request, "usage", "results");
  }

  /** The same rows as the table, as CSV. */
  @GetMapping("/usage.csv")
  void csv(@RequestParam(required = false) String team, @RequestParam(required = false) String key,
      @RequestParam(required = false) String model, @RequestParam(required = false) String from,
      @RequestParam(required = false) String to, @RequestParam(defaultValue = "team") String group,
      HttpServletResponse response) throws IOException {
    Filters filters = defaults(new Filters(team, key, model, from, to, group));
    List<Row> rows = rows(query(filters));
    response.setContentType("text/csv;charset=UTF-8");
    response.setHeader("Content-Disposition", "attachment; filename=\"spillway-usage-" + filters.group() + "-"
        + filters.from() + "-to-" + filters.to() + ".csv\"");
    Writer out = new java.io.OutputStreamWriter(response.getOutputStream(), StandardCharsets.UTF_8);
    out.write(filters.group() + ",name,requests,errors,input_tokens,output_tokens,cached_input_tokens,spend_usd,"
        + "cache_hits,refusals,shadow_refusals\r\n");
    for (Row r : rows) {
      UsageService.Row u = r.usage();
      out.write(csvCell(r.group()) + "," + csvCell(r.label()) + "," + u.requests() + "," + u.errors() + ","
          + u.inputTokens() + "," + u.outputTokens() + "," + u.cachedInputTokens() + ","
          + u.spendUsd().toPlainString() + "," + u.cacheHits() + "," + u.refusals() + "," + u.shadowRefusals()
          + "\r\n");
    }
    out.flush();
  }

  private Filters defaults(Filters f) {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    String group = Set.of("team", "key", "model", "provider", "day").contains(f.group()) ? f.group() : "team";
    return new Filters(blank(f.team()), blank(f.key()), blank(f.model()),
        blank(f.from()) == null ? today.minusDays(29).toString() : f.from(),
        blank(f.to()) == null ? today.toString() : f.to(), group);
  }

  private UsageService.Query query(Filters f) {
    UUID teamId = f.team() == null ? null : Ids.parse("team", f.team());
    UUID keyId = null;
    if (f.key() != null) {
      keyId = keys.get(Ids.parse("virtual key", f.key())).id();
    }
    Instant from = date("from", f.from()).atStartOfDay(ZoneOffset.UTC).toInstant();
    Instant to = date("to", f.to()).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    if (!from.isBefore(to)) {
      throw ApiException.invalid("to", "must not be before from");
    }
    return new UsageService.Query(teamId, keyId, f.model(), from, to, UsageService.GroupBy.parse(f.group()));
  }

  private List<Row> rows(UsageService.Query query) {
    Map<String, String> teamNames = new HashMap<>();
    teams.list().forEach(t -> teamNames.put(t.id().toString(), t.name()));
    List<UsageService.Row> aggregated = usage.aggregate(query);
    List<Row> rows = new java.util.ArrayList<>(aggregated.size());
    for (int i = 0; i < aggregated.size(); i++) {
      UsageService.Row u = aggregated.get(i);
      String logs = logsHref(query, query.groupBy(), u.group());
      rows.add(switch (query.groupBy()) {
        case TEAM -> new Row(u.group(), teamNames.getOrDefault(u.group(), u.group()), "/teams/" + u.group(), logs,
            u);
        // Key names cost a lookup each: the top rows (by spend) get names, a long tail keeps its ids.
        case KEY -> new Row(u.group(), i < KEY_LABELS ? keyName(u.group()) : u.group(), "/virtual-keys/" + u.group(),
            logs, u);
        default -> new Row(u.group(), u.group(), null, logs, u);
      });
    }
    return rows;
  }

  private String keyName(String id) {
    try {
      VirtualKey k = keys.get(UUID.fromString(id));
      return k.name() + " (" + k.keyPrefix() + "…)";
    } catch (RuntimeException e) {
      return id;
    }
  }

  private List<Team> readableTeams() {
    Set<UUID> readable = Authz.readableTeamsOrAll();
    return teams.list().stream().filter(t -> readable == null || readable.contains(t.id()))
        .sorted(Comparator.comparing(t -> t.name().toLowerCase(Locale.ROOT))).toList();
  }

  /**
   * The logs page filtered like this query (team, key, model, the date range) and, for a row, to its group (a day
   * narrows the range to that day).
   */
  static String logsHref(UsageService.Query query, UsageService.GroupBy groupBy, String group) {
    Instant from = query.from();
    Instant to = query.to();
    org.springframework.web.util.UriComponentsBuilder uri = org.springframework.web.util.UriComponentsBuilder
        .fromPath("/logs");
    if (query.teamId() != null) {
      uri.queryParam("team_id", query.teamId());
    }
    if (query.keyId() != null) {
      uri.queryParam("key_id", query.keyId());
    }
    if (query.model() != null && !query.model().isBlank()) {
      uri.queryParam("model", query.model().strip());
    }
    if (groupBy != null && group != null) {
      switch (groupBy) {
        case TEAM -> uri.replaceQueryParam("team_id", group);
        case KEY -> uri.replaceQueryParam("key_id", group);
        case MODEL -> uri.replaceQueryParam("model", group);
        case PROVIDER -> uri.queryParam("provider", group);
        case DAY -> {
          from = LocalDate.parse(group).atStartOfDay(ZoneOffset.UTC).toInstant();
          to = from.plus(java.time.Duration.ofDays(1));
        }
      }
    }
    uri.queryParam("from", from.toString()).queryParam("to", to.toString());
    return uri.encode().build().toUriString();
  }

  /** Spend per group as a bar-like series (per day: a time series, each day linked to its requests). */
  private static String chart(List<Row> rows, String group, String logsHref) {
    Map<String, Object> spec = new LinkedHashMap<>();
    if ("day".equals(group)) {
      spec.put("logs", Map.of("href", logsWithoutRange(logsHref), "step", 86400));
      spec.put("x", rows.stream().map(r -> LocalDate.parse(r.group()).atStartOfDay(ZoneOffset.UTC).toEpochSecond())
          .toList());
      spec.put("series", List.of(Map.of("label", "Requests", "values",
          rows.stream().map(r -> r.usage().requests()).toList()), Map.of("label", "Spend (USD)", "unit", "$",
          "values", rows.stream().map(r -> r.usage().spendUsd().doubleValue()).toList())));
      return JSON.writeValueAsString(spec);
    }
    return null;
  }

  /** The day chart's link: spillway.js adds each day's range. */
  private static String logsWithoutRange(String href) {
    return org.springframework.web.util.UriComponentsBuilder.fromUriString(href).replaceQueryParam("from")
        .replaceQueryParam("to").build().toUriString();
  }

  private static LocalDate date(String field, String value) {
    try {
      return LocalDate.parse(value);
    } catch (DateTimeParseException e) {
      throw ApiException.invalid(field, "must be a date such as 2025-01-31");
    }
  }

  private static String blank(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }

  /** Quotes a CSV cell, and defuses spreadsheet formulas (a cell starting with = + - @). */
  static String csvCell(String value) {
    if (value == null) {
      return "";
    }
    String v = value;
    if (!v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0) {
      v = "'" + v;
    }
    if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r") || !v.equals(value)) {
      return "\"" + v.replace("\"", "\"\"") + "\"";
    }
    return v;
  }
}
