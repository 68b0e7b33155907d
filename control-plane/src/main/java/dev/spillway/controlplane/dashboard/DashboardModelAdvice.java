package dev.spillway.controlplane.dashboard;

import dev.spillway.controlplane.security.CurrentActor;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ModelAttribute;

/** What every dashboard page needs: the signed-in user for the frame. */
@ControllerAdvice(annotations = DashboardController.class)
class DashboardModelAdvice {

  @ModelAttribute("currentUser")
  CurrentUser currentUser(HttpServletResponse response) {
    // The same URL answers a page or a fragment depending on HX-Request: caches must keep them apart.
    response.addHeader("Vary", "HX-Request");
    return new CurrentUser(CurrentActor.get());
  }

  @ModelAttribute("fmt")
  Format format() {
    return Format.INSTANCE;
  }
}
