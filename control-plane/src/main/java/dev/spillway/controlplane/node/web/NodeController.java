package dev.spillway.controlplane.node.web;

import dev.spillway.controlplane.dashboard.DashboardController;
import dev.spillway.controlplane.dashboard.Htmx;
import dev.spillway.controlplane.node.Fleet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Comparator;
import java.util.List;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** The data-plane fleet: version, status, last contact; the table refreshes itself every 10 seconds. */
@DashboardController
class NodeController {
  private final Fleet fleet;

  NodeController(Fleet fleet) {
    this.fleet = fleet;
  }

  @GetMapping("/nodes")
  String nodes(@RequestParam(required = false) String status, HttpServletRequest request, Model model) {
    List<Fleet.Member> all = fleet.all().stream()
        .sorted(Comparator.comparing((Fleet.Member m) -> rank(m.status())).thenComparing(m -> m.node().nodeId()))
        .toList();
    model.addAttribute("nodes", status == null || status.isBlank() ? all
        : all.stream().filter(m -> m.status().equals(status)).toList());
    model.addAttribute("status", status == null ? "" : status);
    model.addAttribute("currentVersion", fleet.currentVersion());
    model.addAttribute("counts", all.stream().collect(java.util.stream.Collectors.groupingBy(Fleet.Member::status,
        java.util.stream.Collectors.counting())));
    return Htmx.view(request, "nodes", "table");
  }

  @PostMapping("/nodes/{id}/forget")
  String forget(@PathVariable String id, HttpServletRequest request, HttpServletResponse response) {
    fleet.forget(id);
    if (Htmx.isHtmx(request)) {
      Htmx.redirect(response, "/nodes");
      return null;
    }
    return "redirect:/nodes";
  }

  private static int rank(String status) {
    return switch (status) {
      case "rejected" -> 0;
      case "stale" -> 1;
      case "behind" -> 2;
      default -> 3;
    };
  }
}
