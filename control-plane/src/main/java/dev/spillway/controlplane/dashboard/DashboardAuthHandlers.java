package dev.spillway.controlplane.dashboard;

import dev.spillway.controlplane.security.ActorPrincipal;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.csrf.CsrfException;

/**
 * How the dashboard answers "not signed in" and "not allowed", htmx-aware: an htmx request never gets a redirect
 * (the XMLHttpRequest would follow it and swap the sign-in page into a table cell) but a 401 with
 * {@code HX-Redirect}, so the whole page navigates to the sign-in page.
 */
public final class DashboardAuthHandlers {
  public static final String LOGIN_PAGE = "/login";
  public static final String HOME = "/";

  private DashboardAuthHandlers() {}

  public static AuthenticationEntryPoint entryPoint() {
    return (request, response, e) -> toLogin(request, response);
  }

  /**
   * A signed-in user without any role goes to the overview, which explains how to get one. A CSRF failure of a
   * request whose session has expired is really "not signed in" (the token lived in that session). Everything else
   * is a 403 page (or, for htmx, a 403 the client shows as an alert).
   */
  public static AccessDeniedHandler accessDenied() {
    // ServletException from the forward is declared by AccessDeniedHandler#handle.
    return (request, response, e) -> {
      Authentication auth = SecurityContextHolder.getContext().getAuthentication();
      boolean signedIn = auth != null && auth.isAuthenticated() && !(auth instanceof AnonymousAuthenticationToken);
      if (e instanceof CsrfException && !signedIn) {
        toLogin(request, response);
        return;
      }
      if (signedIn && auth.getPrincipal() instanceof ActorPrincipal p && p.actor().authorities().isEmpty()) {
        redirect(request, response, HOME);
        return;
      }
      response.setStatus(HttpServletResponse.SC_FORBIDDEN);
      if (Htmx.isHtmx(request)) {
        response.setContentType("text/html;charset=UTF-8");
        response.getOutputStream().write(("<div class=\"alert bad\" role=\"alert\">"
            + (e instanceof CsrfException ? "The form was stale; reload the page and try again."
            : "Your role does not allow this action.") + "</div>").getBytes(StandardCharsets.UTF_8));
        return;
      }
      // The 403 page, rendered in the dashboard's frame (the forward is let through by the URL rules).
      request.setAttribute(DeniedController.CSRF_ATTRIBUTE, e instanceof CsrfException);
      request.getRequestDispatcher(DeniedController.PATH).forward(request, response);
    };
  }

  static void toLogin(HttpServletRequest request, HttpServletResponse response) throws IOException {
    redirect(request, response, LOGIN_PAGE);
  }

  private static void redirect(HttpServletRequest request, HttpServletResponse response, String path)
      throws IOException {
    String location = request.getContextPath() + path;
    if (Htmx.isHtmx(request) || "true".equals(request.getHeader("HX-Request"))) {
      response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
      Htmx.redirect(response, location);
      return;
    }
    response.sendRedirect(location);
  }
}
