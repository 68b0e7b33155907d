package dev.spillway.controlplane.provider.web;

import dev.spillway.config.ProviderType;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.dashboard.DashboardController;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.dashboard.Forms;
import dev.spillway.controlplane.dashboard.Htmx;
import dev.spillway.controlplane.dashboard.TablePage;
import dev.spillway.controlplane.dashboard.TableQuery;
import dev.spillway.controlplane.provider.Provider;
import dev.spillway.controlplane.provider.ProviderConnectionTester;
import dev.spillway.controlplane.provider.ProviderResponse;
import dev.spillway.controlplane.provider.ProviderService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ModelAttribute;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * Providers and their keys. Key values are write-only: the form never shows them (only a four-character hint),
 * and an empty value keeps the stored one. "Test connection" makes one real request per key from the control
 * plane and shows the outcome, never the key.
 */
@DashboardController
class ProviderController {
  private static final Map<String, Comparator<Provider>> SORTS = Map.of(
      "name", Comparator.comparing(Provider::name),
      "type", Comparator.comparing((Provider p) -> p.type().wireName()).thenComparing(Provider::name),
      "updated", Comparator.comparing(Provider::updatedAt));

  private final ProviderService providers;
  private final ProviderConnectionTester tester;

  ProviderController(ProviderService providers, ProviderConnectionTester tester) {
    this.providers = providers;
    this.tester = tester;
  }

  @GetMapping("/providers")
  String list(@RequestParam(required = false) String q, @RequestParam(required = false) String sort,
      @RequestParam(required = false) String dir, @RequestParam(required = false) Integer page,
      HttpServletRequest request, Model model) {
    TableQuery query = TableQuery.of(q, sort, dir, page);
    TablePage<Provider> result = query.apply(providers.list(),
        p -> query.matches(p.name(), p.type().wireName(), p.baseUrl()), SORTS, "name");
    model.addAttribute("page", result);
    return Htmx.view(request, "providers/list", "table");
  }

  @GetMapping("/providers/new")
  String createForm(Model model) {
    Authz.requireOrgAdmin();
    if (!model.containsAttribute("form")) {
      model.addAttribute("form", ProviderForm.empty());
    }
    model.addAttribute("types", types());
    model.addAttribute("pageTitle", "New provider");
    return "providers/form";
  }

  @PostMapping("/providers")
  String create(@ModelAttribute("form") ProviderForm form, HttpServletResponse response, Model model,
      RedirectAttributes redirect) {
    try {
      Provider created = providers.create(form.toRequest());
      redirect.addFlashAttribute("saved", "Provider " + created.name() + " created.");
      return "redirect:/providers/" + created.id();
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      response.setStatus(422);
      model.addAttribute("errors", Forms.errors(e));
      return createForm(model);
    }
  }

  @GetMapping("/providers/{id}")
  String edit(@PathVariable String id, Model model) {
    Provider provider = providers.get(Ids.parse("provider", id));
    model.addAttribute("provider", provider);
    model.addAttribute("pageTitle", provider.name());
    if (!model.containsAttribute("form")) {
      model.addAttribute("form", ProviderForm.of(provider));
    }
    model.addAttribute("types", types());
    return "providers/form";
  }

  @PostMapping("/providers/{id}")
  String update(@PathVariable String id, @ModelAttribute("form") ProviderForm form, HttpServletResponse response,
      Model model, RedirectAttributes redirect) {
    UUID providerId = Ids.parse("provider", id);
    try {
      Provider updated = providers.update(providerId,
          form.toRequest(ProviderResponse.of(providers.get(providerId)).breaker()));
      redirect.addFlashAttribute("saved", "Saved. Nodes apply the change within seconds.");
      return "redirect:/providers/" + updated.id();
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      response.setStatus(422);
      model.addAttribute("errors", Forms.errors(e));
      return edit(id, model);
    }
  }

  @PostMapping("/providers/{id}/test")
  String test(@PathVariable String id, Model model) {
    model.addAttribute("result", tester.test(Ids.parse("provider", id)));
    return "providers/form :: test-result";
  }

  @PostMapping("/providers/{id}/delete")
  String delete(@PathVariable String id, HttpServletRequest request, HttpServletResponse response,
      RedirectAttributes redirect, Model model) {
    try {
      providers.delete(Ids.parse("provider", id));
    } catch (ApiException e) {
      if (e.status() != org.springframework.http.HttpStatus.CONFLICT) {
        throw e;
      }
      response.setStatus(409);
      model.addAttribute("message", e.getMessage());
      return "error :: alert";
    }
    if (Htmx.isHtmx(request)) {
      Htmx.redirect(response, "/providers");
      return null;
    }
    return "redirect:/providers";
  }

  private static List<String> types() {
    return Arrays.stream(ProviderType.values()).map(ProviderType::wireName)
        .sorted(Comparator.comparing(s -> s.toLowerCase(Locale.ROOT))).toList();
  }
}
