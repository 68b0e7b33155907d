package dev.spillway.controlplane.cache.web;

import dev.spillway.controlplane.cache.CacheInvalidationService;
import dev.spillway.controlplane.cache.CacheStatsService;
import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.dashboard.DashboardController;
import dev.spillway.controlplane.dashboard.Htmx;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Instant;
import java.util.UUID;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * The cache page: per team (the caller's teams; one with {@code ?team=}) the hit rate, the would-be hit rate of
 * shadow mode, what the cache saved and the similarity histogram over the last 7 days, and for the teams the caller
 * administers an "Invalidate cache" button. Reads and the invalidation go through the services that authorise them.
 */
@DashboardController
class CacheController {
  private final CacheStatsService stats;
  private final CacheInvalidationService invalidations;

  CacheController(CacheStatsService stats, CacheInvalidationService invalidations) {
    this.stats = stats;
    this.invalidations = invalidations;
  }

  @GetMapping("/cache")
  String page(@RequestParam(required = false) String team, Model model) {
    UUID teamId = team == null || team.isBlank() ? null : Ids.parse("team", team);
    Instant to = Instant.now();
    model.addAttribute("stats", stats.stats(teamId, to.minus(CacheStatsService.DEFAULT_PERIOD), to));
    model.addAttribute("oneTeam", teamId != null);
    return "cache";
  }

  @PostMapping("/cache/teams/{id}/invalidate")
  String invalidate(@PathVariable String id, HttpServletRequest request, Model model) {
    UUID teamId = Ids.parse("team", id);
    CacheInvalidationService.Result result = invalidations.invalidate("team", teamId.toString());
    model.addAttribute("deleted", result.deleted());
    return Htmx.isHtmx(request) ? "cache :: invalidated" : "redirect:/cache?team=" + teamId;
  }
}
