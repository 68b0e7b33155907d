package dev.spillway.controlplane.usage.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.QueryParams;
import dev.spillway.controlplane.usage.UsageService;
import dev.spillway.controlplane.virtualkey.VirtualKeyService;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/v1/usage}: recorded usage (hourly rollups) in a time range, grouped by team, key, model, provider
 * or day, with totals; {@code GET /api/v1/usage/unpriced}: models used without a price. Team members see their own
 * teams only.
 */
@RestController
class UsageApiController {
  private final UsageService usage;
  private final VirtualKeyService keys;

  UsageApiController(UsageService usage, VirtualKeyService keys) {
    this.usage = usage;
    this.keys = keys;
  }

  record RowView(String group, long requests, long errors, long inputTokens, long outputTokens, BigDecimal spendUsd,
      long cacheHits, long refusals, long shadowRefusals) {}

  @GetMapping("/api/v1/usage")
  Map<String, Object> usage(@RequestParam(name = "team_id", required = false) String teamId,
      @RequestParam(name = "key_id", required = false) String keyId,
      @RequestParam(required = false) String model,
      @RequestParam(required = false) String from,
      @RequestParam(required = false) String to,
      @RequestParam(name = "group_by", defaultValue = "team") String groupBy) {
    UUID team = QueryParams.id("team_id", teamId);
    UUID key = QueryParams.id("key_id", keyId);
    if (key != null) {
      keys.get(key);
    }
    Instant fromInstant = QueryParams.instant("from", from);
    Instant toInstant = QueryParams.instant("to", to);
    if (fromInstant != null && toInstant != null && !fromInstant.isBefore(toInstant)) {
      throw ApiException.invalid("to", "must be after from");
    }
    UsageService.Query query = new UsageService.Query(team, key, model, fromInstant, toInstant,
        UsageService.GroupBy.parse(groupBy));
    List<RowView> rows = usage.aggregate(query).stream().map(r -> new RowView(r.group(), r.requests(), r.errors(),
        r.inputTokens(), r.outputTokens(), r.spendUsd(), r.cacheHits(), r.refusals(), r.shadowRefusals())).toList();
    UsageService.Totals t = usage.totals(query);
    Map<String, Object> totals = new LinkedHashMap<>();
    totals.put("requests", t.requests());
    totals.put("errors", t.errors());
    totals.put("input_tokens", t.inputTokens());
    totals.put("output_tokens", t.outputTokens());
    totals.put("spend_usd", t.spendUsd());
    totals.put("cache_hits", t.cacheHits());
    totals.put("unpriced_requests", t.unpricedRequests());
    totals.put("refusals", t.refusals());
    totals.put("shadow_refusals", t.shadowRefusals());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("group_by", query.groupBy().wireName());
    body.put("data", rows);
    body.put("totals", totals);
    return body;
  }

  /**
   * {@code GET /api/v1/usage/unpriced}: models that served requests in the last 30 days
   * ({@link UsageService#UNPRICED_WINDOW}) without a price, so their cost was recorded as 0. Same visibility as
   * {@code /api/v1/usage}.
   */
  @GetMapping("/api/v1/usage/unpriced")
  Map<String, Object> unpriced(@RequestParam(name = "team_id", required = false) String teamId) {
    Instant since = Instant.now().minus(UsageService.UNPRICED_WINDOW);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("since", since.truncatedTo(ChronoUnit.HOURS));
    body.put("data", usage.unpriced(QueryParams.id("team_id", teamId), since));
    return body;
  }
}
