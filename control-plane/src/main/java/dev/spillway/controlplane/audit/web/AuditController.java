package dev.spillway.controlplane.audit.web;

import dev.spillway.controlplane.audit.AuditEvents;
import dev.spillway.controlplane.dashboard.DashboardController;
import dev.spillway.controlplane.dashboard.Htmx;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** The audit log: who changed what, newest first, filtered by actor, action and resource; pages by event id. */
@DashboardController
class AuditController {
  static final int PAGE_SIZE = 50;

  private final AuditEvents events;

  AuditController(AuditEvents events) {
    this.events = events;
  }

  @GetMapping("/audit")
  String audit(@RequestParam(required = false) String actor, @RequestParam(required = false) String action,
      @RequestParam(name = "resource", required = false) String resourceType,
      @RequestParam(required = false) Long before, HttpServletRequest request, Model model) {
    String actionFilter = blank(action);
    if (actionFilter != null && !actionFilter.contains(".") && !actionFilter.endsWith("*")) {
      actionFilter = actionFilter + ".*";
    }
    List<AuditEvents.Event> page = events.find(new AuditEvents.Query(null, null, blank(actor), blank(resourceType),
        null, actionFilter, null, null, before, PAGE_SIZE + 1));
    boolean more = page.size() > PAGE_SIZE;
    List<AuditEvents.Event> shown = more ? page.subList(0, PAGE_SIZE) : page;
    model.addAttribute("events", shown);
    model.addAttribute("nextBefore", more ? shown.get(shown.size() - 1).id() : null);
    model.addAttribute("actor", actor == null ? "" : actor);
    model.addAttribute("action", action == null ? "" : action);
    model.addAttribute("resource", resourceType == null ? "" : resourceType);
    model.addAttribute("paged", before != null);
    return Htmx.view(request, "audit", "table");
  }

  private static String blank(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }
}
