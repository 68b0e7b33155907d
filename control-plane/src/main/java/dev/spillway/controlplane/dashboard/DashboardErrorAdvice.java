package dev.spillway.controlplane.dashboard;

import dev.spillway.controlplane.common.ApiException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ExceptionHandler;

/**
 * Errors of dashboard pages as pages (or, for htmx, as an alert fragment the client shows): a service's 403 or 404
 * is a readable page here, where the admin API answers JSON. Form validation errors are handled by the controllers
 * themselves, next to the field.
 */
@ControllerAdvice(annotations = DashboardController.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
class DashboardErrorAdvice {

  @ExceptionHandler(ApiException.class)
  String api(ApiException e, HttpServletRequest request, HttpServletResponse response, Model model) {
    HttpStatus status = e.status();
    response.setStatus(status.value());
    // An exception handler gets a fresh model: the page frame still needs the user.
    model.addAttribute("currentUser", new CurrentUser(dev.spillway.controlplane.security.CurrentActor.get()));
    model.addAttribute("fmt", Format.INSTANCE);
    model.addAttribute("status", status.value());
    model.addAttribute("title", switch (status) {
      case FORBIDDEN -> "Not allowed";
      case NOT_FOUND -> "Not found";
      case CONFLICT -> "Conflict";
      default -> "Cannot do that";
    });
    model.addAttribute("message", e.getMessage());
    return Htmx.view(request, "error", "alert");
  }
}
