package dev.spillway.controlplane.limits.web;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.BudgetPeriod;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.controlplane.alert.BudgetAlert;
import dev.spillway.controlplane.alert.BudgetAlertService;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.dashboard.DashboardController;
import dev.spillway.controlplane.dashboard.Forms;
import dev.spillway.controlplane.dashboard.Htmx;
import dev.spillway.controlplane.dashboard.LimitsForm;
import dev.spillway.controlplane.limits.Scope;
import dev.spillway.controlplane.organization.OrganizationService;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.security.CurrentActor;
import dev.spillway.controlplane.team.Team;
import dev.spillway.controlplane.team.TeamService;
import dev.spillway.controlplane.usage.UsageService;
import dev.spillway.controlplane.virtualkey.VirtualKey;
import dev.spillway.controlplane.virtualkey.VirtualKeyService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PostMapping;

/**
 * Budgets and rate limits at every level (organisation, teams, keys) with the spend of the current period against
 * each limit and the budget alerts fired in that period. Spend comes from recorded usage only; where none is
 * recorded it is zero.
 */
@DashboardController
class BudgetController {
  /** How many budgeted keys the page lists (the keys page filters and pages through all of them). */
  static final int KEY_ROWS = 500;

  /** A row: what is limited, its limits, what it spent and the alerts fired in its budget's current period. */
  record Row(UUID id, String name, String href, String team, BudgetConfig budget, RateLimitConfig rateLimit,
      BigDecimal spend, List<BudgetAlert> alerts) {}

  private final OrganizationService orgs;
  private final TeamService teams;
  private final VirtualKeyService keys;
  private final UsageService usage;
  private final BudgetAlertService alerts;

  BudgetController(OrganizationService orgs, TeamService teams, VirtualKeyService keys, UsageService usage,
      BudgetAlertService alerts) {
    this.orgs = orgs;
    this.teams = teams;
    this.keys = keys;
    this.usage = usage;
    this.alerts = alerts;
  }

  @GetMapping("/budgets")
  String budgets(Model model) {
    if (CurrentActor.get().readsEverything()) {
      addOrg(model, null);
    }
    Set<UUID> readable = Authz.readableTeamsOrAll();
    List<Team> visible = teams.list().stream().filter(t -> readable == null || readable.contains(t.id()))
        .sorted(Comparator.comparing(t -> t.name().toLowerCase(Locale.ROOT))).toList();
    Map<UUID, BigDecimal> teamSpend = usage.teamSpendInPeriods(visible.stream().collect(Collectors.toMap(Team::id,
        t -> period(t.budget()))));
    Map<UUID, List<BudgetAlert>> teamAlerts = alerts.inCurrentPeriods(Scope.TEAM, budgets(visible, Team::id,
        Team::budget));
    model.addAttribute("teamRows", visible.stream().map(t -> new Row(t.id(), t.name(), "/teams/" + t.id(), null,
        t.budget(), t.rateLimit(), teamSpend.get(t.id()), teamAlerts.getOrDefault(t.id(), List.of()))).toList());
    Map<UUID, String> teamNames = visible.stream().collect(Collectors.toMap(Team::id, Team::name));
    List<VirtualKey> limited = keys.search(null, VirtualKey.Status.ACTIVE, null, "name", false, 10_000, 0).rows()
        .stream().filter(k -> k.budget() != null || k.rateLimit() != null).limit(KEY_ROWS).toList();
    Map<UUID, BigDecimal> keySpend = usage.keySpendInPeriods(limited.stream().collect(Collectors.toMap(
        VirtualKey::id, k -> period(k.budget()))));
    Map<UUID, List<BudgetAlert>> keyAlerts = alerts.inCurrentPeriods(Scope.KEY, budgets(limited, VirtualKey::id,
        VirtualKey::budget));
    model.addAttribute("keyRows", limited.stream().map(k -> new Row(k.id(), k.name(), "/virtual-keys/" + k.id(),
        teamNames.get(k.teamId()), k.budget(), k.rateLimit(), keySpend.get(k.id()),
        keyAlerts.getOrDefault(k.id(), List.of()))).toList());
    return "budgets";
  }

  /** The organisation's own budget and rate limit (org admins). */
  @PostMapping("/budgets/org")
  String org(@ModelAttribute LimitsForm form, HttpServletRequest request, HttpServletResponse response, Model model) {
    OrganizationService.Org org = orgs.get();
    try {
      orgs.update(new OrganizationService.OrgRequest(org.name(), form.budget(), form.rateLimit()));
      model.addAttribute("saved", true);
      addOrg(model, null);
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      response.setStatus(422);
      model.addAttribute("errors", Forms.errors(e));
      addOrg(model, form);
    }
    return Htmx.isHtmx(request) ? "budgets :: org" : "redirect:/budgets";
  }

  private void addOrg(Model model, LimitsForm submitted) {
    OrganizationService.Org org = orgs.get();
    model.addAttribute("org", org);
    model.addAttribute("orgSpend", usage.orgSpendSince(UsageService.periodStart(period(org.budget()),
        Instant.now())));
    model.addAttribute("limits", submitted != null ? submitted : LimitsForm.of(org.budget(), org.rateLimit()));
    Map<UUID, BudgetConfig> orgBudget = new HashMap<>();
    orgBudget.put(org.id(), org.budget());
    model.addAttribute("orgAlerts", alerts.inCurrentPeriods(Scope.ORG, orgBudget).getOrDefault(org.id(), List.of()));
  }

  /** Budget by id, for those that have one. */
  private static <T> Map<UUID, BudgetConfig> budgets(List<T> rows, Function<T, UUID> id,
      Function<T, BudgetConfig> budget) {
    Map<UUID, BudgetConfig> result = new HashMap<>();
    rows.forEach(r -> {
      if (budget.apply(r) != null) {
        result.put(id.apply(r), budget.apply(r));
      }
    });
    return result;
  }

  private static BudgetPeriod period(BudgetConfig budget) {
    return budget == null ? BudgetPeriod.MONTHLY : budget.period();
  }
}
