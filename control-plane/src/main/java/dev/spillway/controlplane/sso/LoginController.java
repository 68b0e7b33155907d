package dev.spillway.controlplane.sso;

import dev.spillway.controlplane.dashboard.DashboardController;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.WebAttributes;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * The sign-in page: one button to the identity provider, or a clear message when SSO is not configured or the IdP
 * cannot be reached. Also the page users land on after signing out.
 */
@DashboardController
class LoginController {
  private final SsoClientRegistrations registrations;

  LoginController(SsoClientRegistrations registrations) {
    this.registrations = registrations;
  }

  @GetMapping("/login")
  String login(@RequestParam(required = false) String error, @RequestParam(required = false) String logout,
      HttpServletRequest request, Model model) {
    SsoClientRegistrations.Status status = registrations.status();
    model.addAttribute("sso", status);
    model.addAttribute("providerName", registrations.properties().providerName());
    model.addAttribute("signInUrl", "/oauth2/authorization/" + SsoProperties.REGISTRATION_ID);
    model.addAttribute("loggedOut", logout != null);
    if (error != null) {
      model.addAttribute("error", lastError(request));
    }
    return "login";
  }

  /** Why the last sign-in failed (set by Spring Security in the session), once. */
  private static String lastError(HttpServletRequest request) {
    HttpSession session = request.getSession(false);
    if (session == null) {
      return "Sign-in failed. Try again.";
    }
    Object e = session.getAttribute(WebAttributes.AUTHENTICATION_EXCEPTION);
    session.removeAttribute(WebAttributes.AUTHENTICATION_EXCEPTION);
    if (e instanceof AuthenticationException ex && ex.getMessage() != null) {
      return "Sign-in failed: " + ex.getMessage();
    }
    return "Sign-in failed. Try again.";
  }
}
