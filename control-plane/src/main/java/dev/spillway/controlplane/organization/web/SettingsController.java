package dev.spillway.controlplane.organization.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.dashboard.DashboardController;
import dev.spillway.controlplane.dashboard.Forms;
import dev.spillway.controlplane.dashboard.Htmx;
import dev.spillway.controlplane.organization.OrganizationService;
import dev.spillway.controlplane.sso.SsoClientRegistrations;
import dev.spillway.controlplane.sso.SsoProperties;
import dev.spillway.controlplane.user.User;
import dev.spillway.controlplane.user.UserService;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * Settings: the organisation's name, the people who may sign in (organisation role, enabled or disabled), and how
 * single sign-on is configured (read-only: it comes from the environment).
 */
@DashboardController
class SettingsController {
  private final OrganizationService orgs;
  private final UserService users;
  private final SsoClientRegistrations sso;

  SettingsController(OrganizationService orgs, UserService users, SsoClientRegistrations sso) {
    this.orgs = orgs;
    this.users = users;
    this.sso = sso;
  }

  @GetMapping("/settings")
  String settings(Model model) {
    addOrg(model);
    addUsers(model);
    SsoProperties props = sso.properties();
    model.addAttribute("sso", props);
    model.addAttribute("ssoStatus", sso.status());
    model.addAttribute("adminEmailCount", props.adminEmailSet().size());
    return "settings";
  }

  @PostMapping("/settings/org")
  String org(@RequestParam(defaultValue = "") String name, HttpServletRequest request, HttpServletResponse response,
      Model model) {
    OrganizationService.Org org = orgs.get();
    try {
      orgs.update(new OrganizationService.OrgRequest(name, dev.spillway.controlplane.common.BudgetBody.of(org.budget()),
          dev.spillway.controlplane.common.RateLimitBody.of(org.rateLimit())));
      model.addAttribute("orgSaved", true);
    } catch (ApiException e) {
      if (!Forms.isFormError(e)) {
        throw e;
      }
      response.setStatus(422);
      model.addAttribute("orgErrors", Forms.errors(e));
    }
    addOrg(model);
    if (model.getAttribute("orgErrors") != null) {
      model.addAttribute("orgName", name);
    }
    return Htmx.isHtmx(request) ? "settings :: org" : "redirect:/settings";
  }

  @PostMapping("/settings/users/{id}")
  String user(@PathVariable String id, @RequestParam(defaultValue = "") String role,
      @RequestParam(defaultValue = "active") String status, HttpServletRequest request, Model model) {
    User user = users.get(Ids.parse("user", id));
    users.update(user.id(), new UserService.UserRequest(user.email(), user.displayName(),
        role.isBlank() ? null : role, status));
    model.addAttribute("userSaved", "Saved " + user.email() + ".");
    addUsers(model);
    return Htmx.isHtmx(request) ? "settings :: users" : "redirect:/settings";
  }

  private void addOrg(Model model) {
    OrganizationService.Org org = orgs.get();
    model.addAttribute("org", org);
    model.addAttribute("orgName", org.name());
  }

  private void addUsers(Model model) {
    model.addAttribute("users", users.list());
  }
}
