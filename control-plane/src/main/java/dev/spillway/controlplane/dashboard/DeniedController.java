package dev.spillway.controlplane.dashboard;

import jakarta.servlet.http.HttpServletResponse;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.RequestMapping;

/** The 403 page that the access-denied handler forwards to (a page, in the dashboard's frame). */
@DashboardController
class DeniedController {
  static final String PATH = "/denied";
  static final String CSRF_ATTRIBUTE = DeniedController.class.getName() + ".csrf";

  @RequestMapping(PATH)
  String denied(jakarta.servlet.http.HttpServletRequest request, HttpServletResponse response, Model model) {
    response.setStatus(HttpServletResponse.SC_FORBIDDEN);
    model.addAttribute("status", 403);
    if (Boolean.TRUE.equals(request.getAttribute(CSRF_ATTRIBUTE))) {
      model.addAttribute("title", "Form expired");
      model.addAttribute("message", "The form was stale or did not come from this dashboard, so nothing was "
          + "changed. Reload the page and try again.");
    } else {
      model.addAttribute("title", "Not allowed");
      model.addAttribute("message", "Your role does not allow this page or action. An organisation admin can "
          + "change your role under Settings or on the team's page.");
    }
    return "error";
  }
}
