package dev.spillway.controlplane.cache.web;

import dev.spillway.controlplane.cache.CacheInvalidationService;
import dev.spillway.controlplane.cache.CacheStats;
import dev.spillway.controlplane.cache.CacheStatsService;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.QueryParams;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /api/v1/cache/invalidations}: forget cached answers (all, a team's, a key's); {@code GET
 * /api/v1/cache/stats}: what the cache did and saved per team (team members see their own teams).
 */
@RestController
@RequestMapping("/api/v1/cache")
class CacheApiController {
  private final CacheInvalidationService invalidations;
  private final CacheStatsService stats;

  CacheApiController(CacheInvalidationService invalidations, CacheStatsService stats) {
    this.invalidations = invalidations;
    this.stats = stats;
  }

  record InvalidationRequest(String scope, String id) {}

  record BucketView(double from, double to, long servedHits, long shadow, long misses) {}

  record StatsView(UUID teamId, String teamName, long lookups, long hitsExact, long hitsSemantic, double hitRate,
      long shadowLookups, long shadowHits, double wouldBeHitRate, long savedInputTokens, long savedOutputTokens,
      BigDecimal savedUsd, List<BucketView> similarityHistogram) {

    static StatsView of(CacheStats s) {
      return new StatsView(s.teamId(), s.teamName(), s.lookups(), s.hitsExact(), s.hitsSemantic(), s.hitRate(),
          s.shadowLookups(), s.shadowHits(), s.wouldBeHitRate(), s.savedInputTokens(), s.savedOutputTokens(),
          s.savedUsd(), s.histogram().stream()
              .map(b -> new BucketView(b.from(), b.to(), b.servedHits(), b.shadow(), b.misses())).toList());
    }
  }

  @PostMapping("/invalidations")
  Map<String, Object> invalidate(@RequestBody InvalidationRequest request) {
    CacheInvalidationService.Result result = invalidations.invalidate(request.scope(), request.id());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("scope", result.invalidation().scope().wireName());
    body.put("id", result.invalidation().id());
    body.put("at", result.invalidation().at());
    body.put("deleted", result.deleted());
    return body;
  }

  /** The last 7 days by default; {@code to} is exclusive. */
  @GetMapping("/stats")
  Map<String, Object> stats(@RequestParam(name = "team_id", required = false) String teamId,
      @RequestParam(required = false) String from, @RequestParam(required = false) String to) {
    Instant toInstant = QueryParams.instant("to", to);
    Instant fromInstant = QueryParams.instant("from", from);
    toInstant = toInstant == null ? Instant.now() : toInstant;
    fromInstant = fromInstant == null ? toInstant.minus(CacheStatsService.DEFAULT_PERIOD) : fromInstant;
    if (!fromInstant.isBefore(toInstant)) {
      throw ApiException.invalid("to", "must be after from");
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("from", fromInstant);
    body.put("to", toInstant);
    body.put("data", stats.stats(QueryParams.id("team_id", teamId), fromInstant, toInstant).stream()
        .map(StatsView::of).toList());
    return body;
  }
}
