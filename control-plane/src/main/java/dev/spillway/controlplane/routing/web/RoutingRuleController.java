package dev.spillway.controlplane.routing.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.dashboard.DashboardController;
import dev.spillway.controlplane.dashboard.Forms;
import dev.spillway.controlplane.dashboard.Htmx;
import dev.spillway.controlplane.routing.Route;
import dev.spillway.controlplane.routing.RouteService;
import dev.spillway.controlplane.routing.RoutingRule;
import dev.spillway.controlplane.routing.RoutingRuleService;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.team.Team;
import dev.spillway.controlplane.team.TeamService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** Routing rules: the list in priority order, a form to add one (org admins) and delete. */
@DashboardController
class RoutingRuleController {
  private final RoutingRuleService rules;
  private final RouteService routes;
  private final TeamService teams;

  RoutingRuleController(RoutingRuleService rules, RouteService routes, TeamService teams) {
    this.rules = rules;
    this.routes = routes;
    this.teams = teams;
  }

  @GetMapping("/routing-rules")
  String list(Model model) {
    model.addAttribute("rules", rules.list());
    model.addAttribute("routeModels", routes.list().stream().map(Route::model).toList());
    Map<UUID, String> teamNames = teams.list().stream().collect(Collectors.toMap(Team::id, Team::name));
    model.addAttribute("teamNames", teamNames);
    if (!model.containsAttribute("form")) {
      model.addAttribute("form", RoutingRuleForm.empty());
    }
    return "routing-rules";
  }

  @PostMapping("/routing-rules")
  String create(@ModelAttribute("form") RoutingRuleForm form, HttpServletResponse response, Model model,
      RedirectAttributes redirect) {
    Authz.requireOrgAdmin();
    try {
      RoutingRule created = rules.create(form.toRequest());
      redirect.addFlashAttribute("saved", "Rule " + created.name() + " added. Nodes apply it within seconds.");
      return "redirect:/routing-rules";
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      response.setStatus(422);
      model.addAttribute("errors", Forms.errors(e));
      return list(model);
    }
  }

  @PostMapping("/routing-rules/{id}/delete")
  String delete(@PathVariable String id, HttpServletRequest request, HttpServletResponse response) {
    Authz.requireOrgAdmin();
    rules.delete(Ids.parse("routing rule", id));
    if (Htmx.isHtmx(request)) {
      Htmx.redirect(response, "/routing-rules");
      return null;
    }
    return "redirect:/routing-rules";
  }
}
