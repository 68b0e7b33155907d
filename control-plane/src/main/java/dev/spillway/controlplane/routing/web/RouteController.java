package dev.spillway.controlplane.routing.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.dashboard.DashboardController;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.dashboard.Forms;
import dev.spillway.controlplane.dashboard.Htmx;
import dev.spillway.controlplane.dashboard.TablePage;
import dev.spillway.controlplane.dashboard.TableQuery;
import dev.spillway.controlplane.node.TargetHealth;
import dev.spillway.controlplane.provider.Provider;
import dev.spillway.controlplane.provider.ProviderService;
import dev.spillway.controlplane.routing.Route;
import dev.spillway.controlplane.routing.RouteService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * Routes: weighted targets, ordered fallbacks, retries. The form is checked as the admin types
 * ({@code POST /routes/check}, the same validation create and update run), and saved with a normal post.
 */
@DashboardController
class RouteController {
  private static final Map<String, Comparator<Route>> SORTS = Map.of(
      "model", Comparator.comparing(Route::model),
      "updated", Comparator.comparing(Route::updatedAt));

  private final RouteService routes;
  private final ProviderService providers;
  private final TargetHealth health;

  RouteController(RouteService routes, ProviderService providers, TargetHealth health) {
    this.routes = routes;
    this.providers = providers;
    this.health = health;
  }

  @GetMapping("/routes")
  String list(@RequestParam(required = false) String q, @RequestParam(required = false) String sort,
      @RequestParam(required = false) String dir, @RequestParam(required = false) Integer page,
      HttpServletRequest request, Model model) {
    TableQuery query = TableQuery.of(q, sort, dir, page);
    TablePage<Route> result = query.apply(routes.list(), r -> query.matches(r.model())
        || r.targets().stream().anyMatch(t -> query.matches(t.providerName(), t.model())), SORTS, "model");
    model.addAttribute("page", result);
    return Htmx.view(request, "routes/list", "table");
  }

  @GetMapping("/routes/new")
  String createForm(Model model) {
    Authz.requireOrgAdmin();
    if (!model.containsAttribute("form")) {
      model.addAttribute("form", RouteForm.empty());
    }
    model.addAttribute("pageTitle", "New route");
    model.addAttribute("providers", providerNames());
    return "routes/form";
  }

  @PostMapping("/routes")
  String create(@ModelAttribute("form") RouteForm form, HttpServletResponse response, Model model,
      RedirectAttributes redirect) {
    try {
      Route created = routes.create(form.toRequest());
      redirect.addFlashAttribute("saved", "Route " + created.model() + " created. Nodes serve it within seconds.");
      return "redirect:/routes/" + created.id();
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      response.setStatus(422);
      model.addAttribute("errors", Forms.errors(e));
      return createForm(model);
    }
  }

  @GetMapping("/routes/{id}")
  String edit(@PathVariable String id, Model model) {
    Route route = routes.get(Ids.parse("route", id));
    model.addAttribute("route", route);
    model.addAttribute("pageTitle", route.model());
    if (!model.containsAttribute("form")) {
      model.addAttribute("form", RouteForm.of(route));
    }
    model.addAttribute("providers", providerNames());
    model.addAttribute("health", health(route));
    return "routes/form";
  }

  /** The health table alone; the route page fetches it every 10 seconds. */
  @GetMapping("/routes/{id}/health")
  String healthTable(@PathVariable String id, Model model) {
    Route route = routes.get(Ids.parse("route", id));
    model.addAttribute("route", route);
    model.addAttribute("health", health(route));
    return "routes/form :: health";
  }

  private RouteHealth health(Route route) {
    return RouteHealth.of(route, providers.list().stream()
        .collect(java.util.stream.Collectors.toMap(Provider::name, java.util.function.Function.identity())), health);
  }

  @PostMapping("/routes/{id}")
  String update(@PathVariable String id, @ModelAttribute("form") RouteForm form, HttpServletResponse response,
      Model model, RedirectAttributes redirect) {
    UUID routeId = Ids.parse("route", id);
    try {
      routes.update(routeId, form.toRequest());
      redirect.addFlashAttribute("saved", "Saved. Nodes apply the change within seconds.");
      return "redirect:/routes/" + routeId;
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      response.setStatus(422);
      model.addAttribute("errors", Forms.errors(e));
      return edit(id, model);
    }
  }

  /** Validation as you type: the check result only, nothing is saved. */
  @PostMapping("/routes/check")
  String check(@ModelAttribute("form") RouteForm form, @RequestParam(required = false) String routeId,
      Model model) {
    UUID self = routeId == null || routeId.isBlank() ? null : Ids.parse("route", routeId);
    try {
      routes.check(form.toRequest(), self);
      model.addAttribute("checkOk", true);
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      model.addAttribute("checkError", e.getMessage());
    }
    return "routes/form :: check";
  }

  @PostMapping("/routes/{id}/delete")
  String delete(@PathVariable String id, HttpServletRequest request, HttpServletResponse response, Model model) {
    try {
      routes.delete(Ids.parse("route", id));
    } catch (ApiException e) {
      if (e.status() != HttpStatus.CONFLICT) {
        throw e;
      }
      response.setStatus(409);
      model.addAttribute("message", e.getMessage());
      return "error :: alert";
    }
    if (Htmx.isHtmx(request)) {
      Htmx.redirect(response, "/routes");
      return null;
    }
    return "redirect:/routes";
  }

  private List<String> providerNames() {
    return providers.list().stream().map(Provider::name).sorted().toList();
  }
}
