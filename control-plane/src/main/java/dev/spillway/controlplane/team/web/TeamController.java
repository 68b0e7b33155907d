package dev.spillway.controlplane.team.web;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.BudgetPeriod;
import dev.spillway.controlplane.alert.BudgetAlert;
import dev.spillway.controlplane.alert.BudgetAlertService;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.BudgetBody;
import dev.spillway.controlplane.common.CacheBody;
import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.common.LoggingBody;
import dev.spillway.controlplane.common.RateLimitBody;
import dev.spillway.controlplane.dashboard.CacheForm;
import dev.spillway.controlplane.dashboard.DashboardController;
import dev.spillway.controlplane.dashboard.Forms;
import dev.spillway.controlplane.dashboard.Htmx;
import dev.spillway.controlplane.dashboard.LimitsForm;
import dev.spillway.controlplane.dashboard.LoggingForm;
import dev.spillway.controlplane.dashboard.TablePage;
import dev.spillway.controlplane.dashboard.TableQuery;
import dev.spillway.controlplane.limits.Scope;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.team.Team;
import dev.spillway.controlplane.team.TeamRequest;
import dev.spillway.controlplane.team.TeamService;
import dev.spillway.controlplane.usage.UsageService;
import dev.spillway.controlplane.user.TeamMembership;
import dev.spillway.controlplane.user.User;
import dev.spillway.controlplane.user.UserService;
import dev.spillway.controlplane.virtualkey.VirtualKey;
import dev.spillway.controlplane.virtualkey.VirtualKeyService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * Teams: the list (filter, sort, pages through htmx), creating a team, and a team's page with its budget and rate
 * limit, members, keys and usage. Every change goes through {@link TeamService} and {@link UserService}, which
 * authorise and audit it.
 */
@DashboardController
class TeamController {
  private static final Map<String, Comparator<Row>> SORTS = Map.of(
      "name", Comparator.comparing((Row r) -> r.team().name().toLowerCase(Locale.ROOT)),
      "created", Comparator.comparing((Row r) -> r.team().createdAt()),
      "spend", Comparator.comparing(Row::spend));

  /** A team in the list with its spend in the current budget period (monthly without a budget). */
  record Row(Team team, BigDecimal spend) {}

  record TeamForm(String name, String description) {}

  private final TeamService teams;
  private final UserService users;
  private final VirtualKeyService keys;
  private final UsageService usage;
  private final BudgetAlertService alerts;

  TeamController(TeamService teams, UserService users, VirtualKeyService keys, UsageService usage,
      BudgetAlertService alerts) {
    this.teams = teams;
    this.users = users;
    this.keys = keys;
    this.usage = usage;
    this.alerts = alerts;
  }

  @GetMapping("/teams")
  String list(@RequestParam(required = false) String q, @RequestParam(required = false) String sort,
      @RequestParam(required = false) String dir, @RequestParam(required = false) Integer page,
      HttpServletRequest request, Model model) {
    Set<UUID> readable = Authz.readableTeamsOrAll();
    List<Team> visible = teams.list().stream().filter(t -> readable == null || readable.contains(t.id())).toList();
    Map<UUID, BigDecimal> spend = usage.teamSpendInPeriods(visible.stream().collect(Collectors.toMap(Team::id,
        t -> t.budget() == null ? BudgetPeriod.MONTHLY : t.budget().period())));
    List<Row> rows = visible.stream().map(t -> new Row(t, spend.getOrDefault(t.id(), BigDecimal.ZERO))).toList();
    TableQuery query = TableQuery.of(q, sort, dir, page);
    TablePage<Row> result = query.apply(rows, r -> query.matches(r.team().name(), r.team().description()), SORTS,
        "name");
    model.addAttribute("page", result);
    if (!model.containsAttribute("form")) {
      model.addAttribute("form", new TeamForm("", ""));
    }
    return Htmx.view(request, "teams/list", "table");
  }

  @PostMapping("/teams")
  String create(@ModelAttribute("form") TeamForm form, HttpServletRequest request, HttpServletResponse response,
      Model model) {
    try {
      Team team = teams.create(new TeamRequest(form.name(), Forms.text(form.description()), null, null, null,
          null, Map.of()));
      String location = "/teams/" + team.id();
      if (Htmx.isHtmx(request)) {
        Htmx.redirect(response, location);
        return null;
      }
      return "redirect:" + location;
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      response.setStatus(422);
      model.addAttribute("errors", Forms.errors(e));
      if (Htmx.isHtmx(request)) {
        return "teams/list :: create-form";
      }
      return list(null, null, null, null, request, model);
    }
  }

  @GetMapping("/teams/{id}")
  String detail(@PathVariable String id, Model model) {
    UUID teamId = Ids.parse("team", id);
    Authz.requireTeamRead(teamId);
    Team team = teams.get(teamId);
    model.addAttribute("team", team);
    addLimits(model, team, LimitsForm.of(team.budget(), team.rateLimit()));
    model.addAttribute("cacheForm", CacheForm.of(team.cache()));
    model.addAttribute("loggingForm", LoggingForm.of(team.logging()));
    addMembers(model, teamId);
    List<VirtualKey> teamKeys = keys.search(teamId, null, null, "created", true, 100, 0).rows();
    model.addAttribute("keys", teamKeys);
    Instant to = Instant.now();
    Instant from = to.minus(30, ChronoUnit.DAYS);
    model.addAttribute("usageTotals", usage.totals(new UsageService.Query(teamId, null, null, from, to, null)));
    model.addAttribute("usageByModel", usage.aggregate(new UsageService.Query(teamId, null, null, from, to,
        UsageService.GroupBy.MODEL)));
    return "teams/detail";
  }

  /** The team's own budget and rate limit: org admins only (a team admin raising its own ceiling would defeat it). */
  @PostMapping("/teams/{id}/limits")
  String limits(@PathVariable String id, @ModelAttribute LimitsForm form, HttpServletRequest request,
      HttpServletResponse response, Model model) {
    UUID teamId = Ids.parse("team", id);
    Team team = teams.get(teamId);
    try {
      team = teams.update(teamId, new TeamRequest(team.name(), team.description(), form.budget(), form.rateLimit(),
          CacheBody.of(team.cache()), LoggingBody.of(team.logging()), team.metadata()));
      model.addAttribute("saved", true);
      addLimits(model, team, LimitsForm.of(team.budget(), team.rateLimit()));
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      response.setStatus(422);
      model.addAttribute("errors", Forms.errors(e));
      addLimits(model, team, form);
    }
    model.addAttribute("team", team);
    return Htmx.isHtmx(request) ? "teams/detail :: limits" : "redirect:/teams/" + teamId;
  }

  /** The team's cache settings: org admins, like the team's limits (URL rules; a team admin sets its keys' own). */
  @PostMapping("/teams/{id}/cache")
  String cache(@PathVariable String id, @ModelAttribute CacheForm form, HttpServletRequest request,
      HttpServletResponse response, Model model) {
    UUID teamId = Ids.parse("team", id);
    Team team = teams.get(teamId);
    try {
      team = teams.update(teamId, new TeamRequest(team.name(), team.description(), BudgetBody.of(team.budget()),
          RateLimitBody.of(team.rateLimit()), form.body(), LoggingBody.of(team.logging()), team.metadata()));
      model.addAttribute("cacheSaved", true);
      model.addAttribute("cacheForm", CacheForm.of(team.cache()));
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      response.setStatus(422);
      model.addAttribute("errors", Forms.errors(e));
      model.addAttribute("cacheForm", form);
    }
    model.addAttribute("team", team);
    return Htmx.isHtmx(request) ? "teams/detail :: cache-settings" : "redirect:/teams/" + teamId;
  }

  /**
   * The team's request-log settings: its team admins too (as the API's PUT /api/v1/teams/{id}/logging), but only an
   * org admin may turn {@code full} content on (TeamService).
   */
  @PostMapping("/teams/{id}/logging")
  String logging(@PathVariable String id, @ModelAttribute LoggingForm form, HttpServletRequest request,
      HttpServletResponse response, Model model) {
    UUID teamId = Ids.parse("team", id);
    Authz.requireTeamAdmin(teamId);
    Team team = teams.get(teamId);
    try {
      team = teams.updateLogging(teamId, form.body());
      model.addAttribute("loggingSaved", true);
      model.addAttribute("loggingForm", LoggingForm.of(team.logging()));
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      response.setStatus(422);
      model.addAttribute("errors", form.errors(e));
      model.addAttribute("loggingForm", form);
    }
    model.addAttribute("team", team);
    return Htmx.isHtmx(request) ? "teams/detail :: request-logs" : "redirect:/teams/" + teamId;
  }

  @PostMapping("/teams/{id}/members")
  String addMember(@PathVariable String id, @RequestParam(defaultValue = "") String email,
      @RequestParam(defaultValue = "viewer") String role, HttpServletRequest request, HttpServletResponse response,
      Model model) {
    UUID teamId = Ids.parse("team", id);
    Authz.requireTeamAdmin(teamId);
    try {
      if (email.isBlank()) {
        throw ApiException.invalid("email", "is required");
      }
      User user = users.list().stream().filter(u -> u.email().equalsIgnoreCase(email.strip())).findFirst()
          .orElseThrow(() -> ApiException.invalid("email", "no user " + email.strip() + " yet; people appear here "
              + "after their first sign-in (or an org admin adds them under Settings)"));
      users.addMember(teamId, user.id().toString(), role);
      model.addAttribute("memberSaved", "Added " + user.email() + " as " + role.replace('_', ' ') + ".");
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      response.setStatus(422);
      model.addAttribute("memberErrors", Forms.errors(e));
      model.addAttribute("memberEmail", email);
    }
    return members(teamId, request, model);
  }

  @PostMapping("/teams/{id}/members/{userId}")
  String changeMember(@PathVariable String id, @PathVariable String userId, @RequestParam String role,
      HttpServletRequest request, Model model) {
    UUID teamId = Ids.parse("team", id);
    TeamMembership changed = users.changeMember(teamId, Ids.parse("user", userId), role);
    model.addAttribute("memberSaved", changed.email() + " is now " + changed.role().replace('_', ' ') + ".");
    return members(teamId, request, model);
  }

  @PostMapping("/teams/{id}/members/{userId}/remove")
  String removeMember(@PathVariable String id, @PathVariable String userId, HttpServletRequest request, Model model) {
    UUID teamId = Ids.parse("team", id);
    users.removeMember(teamId, Ids.parse("user", userId));
    model.addAttribute("memberSaved", "Member removed.");
    return members(teamId, request, model);
  }

  @PostMapping("/teams/{id}/delete")
  String delete(@PathVariable String id, HttpServletRequest request, HttpServletResponse response, Model model) {
    UUID teamId = Ids.parse("team", id);
    teams.delete(teamId);
    if (Htmx.isHtmx(request)) {
      Htmx.redirect(response, "/teams");
      return null;
    }
    return "redirect:/teams";
  }

  private String members(UUID teamId, HttpServletRequest request, Model model) {
    model.addAttribute("team", teams.get(teamId));
    addMembers(model, teamId);
    return Htmx.isHtmx(request) ? "teams/detail :: members" : "redirect:/teams/" + teamId;
  }

  private void addMembers(Model model, UUID teamId) {
    model.addAttribute("members", users.members(teamId));
  }

  private void addLimits(Model model, Team team, LimitsForm form) {
    BudgetPeriod period = team.budget() == null ? BudgetPeriod.MONTHLY : team.budget().period();
    Map<UUID, BudgetPeriod> periods = new HashMap<>();
    periods.put(team.id(), period);
    model.addAttribute("spend", usage.teamSpendInPeriods(periods).get(team.id()));
    model.addAttribute("limits", form);
    Map<UUID, BudgetConfig> budget = new HashMap<>();
    budget.put(team.id(), team.budget());
    model.addAttribute("budgetAlerts", alerts.inCurrentPeriods(Scope.TEAM, budget).getOrDefault(team.id(),
        List.<BudgetAlert>of()));
  }
}
