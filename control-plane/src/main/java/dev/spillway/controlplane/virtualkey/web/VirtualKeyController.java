package dev.spillway.controlplane.virtualkey.web;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.BudgetPeriod;
import dev.spillway.controlplane.alert.BudgetAlert;
import dev.spillway.controlplane.alert.BudgetAlertService;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.dashboard.DashboardController;
import dev.spillway.controlplane.dashboard.Forms;
import dev.spillway.controlplane.dashboard.Htmx;
import dev.spillway.controlplane.dashboard.TablePage;
import dev.spillway.controlplane.dashboard.TableQuery;
import dev.spillway.controlplane.limits.Scope;
import dev.spillway.controlplane.routing.Route;
import dev.spillway.controlplane.routing.RouteService;
import dev.spillway.controlplane.security.Actor;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.security.CurrentActor;
import dev.spillway.controlplane.security.SecretCipher;
import dev.spillway.controlplane.team.Team;
import dev.spillway.controlplane.team.TeamService;
import dev.spillway.controlplane.usage.UsageService;
import dev.spillway.controlplane.virtualkey.VirtualKey;
import dev.spillway.controlplane.virtualkey.VirtualKeyService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * Virtual keys: list (filter by team, status and text; sort; pages), create (the secret is shown once, on the
 * page the create redirects to, from a flash attribute: a reload shows it no more), edit limits, revoke, rotate.
 *
 * <p>Flash attributes travel in the session, and sessions are stored in PostgreSQL: the secret goes there sealed
 * under {@code SPILLWAY_SECRET_KEY} and bound to its key's id, and Spring MVC removes the flash attribute (so the
 * session row loses it) on the request that shows the page.
 */
@DashboardController
class VirtualKeyController {
  private static final Set<String> SORTS = Set.of("name", "created", "status");
  private static final String SEALED_SECRET = "sealedSecret";

  private final VirtualKeyService keys;
  private final TeamService teams;
  private final RouteService routes;
  private final UsageService usage;
  private final BudgetAlertService alerts;
  private final SecretCipher cipher;
  private final String dataPlaneUrl;

  VirtualKeyController(VirtualKeyService keys, TeamService teams, RouteService routes, UsageService usage,
      BudgetAlertService alerts, SecretCipher cipher, @Value("${spillway.data-plane-url:}") String dataPlaneUrl) {
    this.keys = keys;
    this.teams = teams;
    this.routes = routes;
    this.usage = usage;
    this.alerts = alerts;
    this.cipher = cipher;
    this.dataPlaneUrl = dataPlaneUrl == null || dataPlaneUrl.isBlank() ? "http://localhost:8000" : dataPlaneUrl;
  }

  @GetMapping("/virtual-keys")
  String list(@RequestParam(required = false) String team, @RequestParam(defaultValue = "active") String status,
      @RequestParam(required = false) String q, @RequestParam(required = false) String sort,
      @RequestParam(required = false) String dir, @RequestParam(required = false) Integer page,
      HttpServletRequest request, Model model) {
    UUID teamId = team == null || team.isBlank() ? null : Ids.parse("team", team);
    VirtualKey.Status statusFilter = switch (status) {
      case "revoked" -> VirtualKey.Status.REVOKED;
      case "all" -> null;
      default -> VirtualKey.Status.ACTIVE;
    };
    String sortKey = sort != null && SORTS.contains(sort) ? sort : "created";
    TableQuery query = new TableQuery(q, sortKey, sort == null ? "desc" : dir, page == null ? 1 : page,
        TableQuery.DEFAULT_SIZE);
    VirtualKeyService.Page found = keys.search(teamId, statusFilter, query.q(), sortKey, query.descending(),
        query.size(), (query.page() - 1) * query.size());
    model.addAttribute("page", TablePage.fetched(found.rows(), query, found.total()));
    model.addAttribute("teamFilter", teamId == null ? "" : teamId.toString());
    model.addAttribute("statusFilter", statusFilter == null ? "all" : statusFilter.wireName());
    model.addAttribute("teams", readableTeams());
    model.addAttribute("teamNames", teamNames());
    model.addAttribute("spend", spend(found.rows()));
    return Htmx.view(request, "virtual-keys/list", "table");
  }

  @GetMapping("/virtual-keys/new")
  String createForm(@RequestParam(required = false) String team, Model model) {
    if (!model.containsAttribute("form")) {
      model.addAttribute("form", KeyForm.empty(team));
    }
    List<Team> administered = administeredTeams();
    if (administered.isEmpty()) {
      throw ApiException.forbidden("you administer no team, so you cannot create keys");
    }
    model.addAttribute("teams", administered);
    model.addAttribute("routes", routes.list().stream().map(Route::model).sorted().toList());
    return "virtual-keys/new";
  }

  @PostMapping("/virtual-keys")
  String create(@ModelAttribute("form") KeyForm form, HttpServletResponse response, Model model,
      RedirectAttributes redirect) {
    try {
      VirtualKeyService.IssuedKey issued = keys.create(form.toRequest(null));
      flashSecret(redirect, issued);
      return "redirect:/virtual-keys/" + issued.key().id();
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      response.setStatus(422);
      model.addAttribute("errors", Forms.errors(e));
      return createForm(form.teamId(), model);
    }
  }

  @GetMapping("/virtual-keys/{id}")
  String detail(@PathVariable String id, Model model) {
    VirtualKey key = keys.get(Ids.parse("virtual key", id));
    if (model.getAttribute(SEALED_SECRET) instanceof String sealed) {
      model.addAttribute("secret", cipher.openFromSession(sealed, secretContext(key.id())));
    }
    addDetail(model, key);
    if (!model.containsAttribute("form")) {
      model.addAttribute("form", KeyForm.of(key));
    }
    return "virtual-keys/detail";
  }

  @PostMapping("/virtual-keys/{id}")
  String update(@PathVariable String id, @ModelAttribute("form") KeyForm form, HttpServletRequest request,
      HttpServletResponse response, Model model) {
    UUID keyId = Ids.parse("virtual key", id);
    VirtualKey key = keys.get(keyId);
    KeyForm submitted = form.inTeam(key.teamId().toString());
    try {
      key = keys.update(keyId, submitted.toRequest(key));
      model.addAttribute("saved", true);
      model.addAttribute("form", KeyForm.of(key));
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      response.setStatus(422);
      model.addAttribute("errors", Forms.errors(e));
      model.addAttribute("form", submitted);
    }
    addDetail(model, key);
    if (!Htmx.isHtmx(request)) {
      return "virtual-keys/detail";
    }
    if (model.getAttribute("saved") != null) {
      model.addAttribute("oob", true);
      return "virtual-keys/detail :: saved";
    }
    return "virtual-keys/detail :: settings";
  }

  @PostMapping("/virtual-keys/{id}/revoke")
  String revoke(@PathVariable String id, HttpServletRequest request, HttpServletResponse response) {
    UUID keyId = Ids.parse("virtual key", id);
    keys.revoke(keyId);
    if (Htmx.isHtmx(request)) {
      Htmx.redirect(response, "/virtual-keys/" + keyId);
      return null;
    }
    return "redirect:/virtual-keys/" + keyId;
  }

  @PostMapping("/virtual-keys/{id}/rotate")
  String rotate(@PathVariable String id, @RequestParam(defaultValue = "0") long graceSeconds,
      RedirectAttributes redirect) {
    VirtualKeyService.IssuedKey issued = keys.rotate(Ids.parse("virtual key", id), Duration.ofSeconds(graceSeconds));
    flashSecret(redirect, issued);
    redirect.addFlashAttribute("rotated", true);
    return "redirect:/virtual-keys/" + issued.key().id();
  }

  /** For the page the action redirects to, once; sealed, since the flash attribute is stored with the session. */
  private void flashSecret(RedirectAttributes redirect, VirtualKeyService.IssuedKey issued) {
    redirect.addFlashAttribute(SEALED_SECRET, cipher.sealForSession(issued.secret(), secretContext(issued.key().id())));
  }

  private static String secretContext(UUID keyId) {
    return "virtual-key:" + keyId;
  }

  private void addDetail(Model model, VirtualKey key) {
    model.addAttribute("key", key);
    model.addAttribute("teamName", teamNames().getOrDefault(key.teamId(), key.teamId().toString()));
    model.addAttribute("keySpend", spend(List.of(key)).getOrDefault(key.id(), BigDecimal.ZERO));
    Map<UUID, BudgetConfig> budget = new HashMap<>();
    budget.put(key.id(), key.budget());
    model.addAttribute("budgetAlerts", alerts.inCurrentPeriods(Scope.KEY, budget).getOrDefault(key.id(),
        List.<BudgetAlert>of()));
    model.addAttribute("canManage", key.status() == VirtualKey.Status.ACTIVE
        && CurrentActor.get().canAdminTeam(key.teamId()));
    model.addAttribute("dataPlaneUrl", dataPlaneUrl);
    model.addAttribute("exampleModel", key.models().isEmpty()
        ? routes.list().stream().map(Route::model).sorted().findFirst().orElse("demo") : key.models().get(0));
  }

  private Map<UUID, BigDecimal> spend(List<VirtualKey> rows) {
    return usage.keySpendInPeriods(rows.stream().collect(Collectors.toMap(VirtualKey::id,
        k -> k.budget() == null ? BudgetPeriod.MONTHLY : k.budget().period())));
  }

  private List<Team> readableTeams() {
    Set<UUID> readable = Authz.readableTeamsOrAll();
    return teams.list().stream().filter(t -> readable == null || readable.contains(t.id()))
        .sorted(java.util.Comparator.comparing(t -> t.name().toLowerCase(Locale.ROOT))).toList();
  }

  private List<Team> administeredTeams() {
    Actor actor = CurrentActor.get();
    return readableTeams().stream().filter(t -> actor.canAdminTeam(t.id())).toList();
  }

  private Map<UUID, String> teamNames() {
    return teams.list().stream().collect(Collectors.toMap(Team::id, Team::name, (a, b) -> a));
  }
}
