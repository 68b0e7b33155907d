package dev.spillway.controlplane.requestlog.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.requestlog.ReplayService;
import dev.spillway.controlplane.requestlog.RequestLogDetail;
import dev.spillway.controlplane.requestlog.RequestLogQuery;
import dev.spillway.controlplane.requestlog.RequestLogService;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code GET /api/v1/requests}: the request log, newest first, filtered, paged by an opaque keyset cursor
 * ({@code next_cursor}); {@code GET /api/v1/requests/{request_id}}: one request with its attempts and stored bodies;
 * {@code POST /api/v1/requests/{request_id}/replay}: send it again to another model, charged to a chosen key. Team
 * members see their teams' requests only; another team's request is not found.
 */
@RestController
class RequestLogApiController {
  private final RequestLogService logs;
  private final ReplayService replays;
  private final JsonMapper json;

  RequestLogApiController(RequestLogService logs, ReplayService replays, JsonMapper json) {
    this.logs = logs;
    this.replays = replays;
    this.json = json;
  }

  /** The body of a replay. */
  record ReplayRequest(String model, String keyId) {}

  @GetMapping("/api/v1/requests")
  Map<String, Object> list(@RequestParam(name = "request_id", required = false) String requestId,
      @RequestParam(name = "team_id", required = false) String teamId,
      @RequestParam(name = "key_id", required = false) String keyId,
      @RequestParam(required = false) String route,
      @RequestParam(required = false) String provider,
      @RequestParam(required = false) String model,
      @RequestParam(required = false) String status,
      @RequestParam(required = false) String cache,
      @RequestParam(name = "min_latency_ms", required = false) String minLatencyMs,
      @RequestParam(required = false) String from,
      @RequestParam(required = false) String to,
      @RequestParam(required = false) String limit,
      @RequestParam(required = false) String cursor) {
    RequestLogQuery query = RequestLogQuery.parse(new RequestLogQuery.Params(requestId, teamId, keyId, route,
        provider, model, status, cache, minLatencyMs, from, to, limit, cursor), Instant.now());
    RequestLogService.Page page = logs.list(query);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("data", page.rows());
    body.put("next_cursor", page.nextCursor() == null ? null : page.nextCursor().encode());
    body.put("from", query.from());
    body.put("to", query.to());
    return body;
  }

  @GetMapping("/api/v1/requests/{request_id}")
  ObjectNode get(@PathVariable("request_id") String requestId) {
    RequestLogDetail detail = logs.find(requestId).orElseThrow(() -> ApiException.notFound("request", requestId));
    ObjectNode body = json.valueToTree(detail.record());
    body.set("attempts", json.valueToTree(detail.attempts()));
    body.set("request", detail.request());
    body.set("response", detail.response());
    return body;
  }

  @PostMapping("/api/v1/requests/{request_id}/replay")
  ObjectNode replay(@PathVariable("request_id") String requestId,
      @RequestBody(required = false) ReplayRequest request) {
    if (request == null) {
      throw ApiException.malformed("a JSON body {\"model\": \"…\", \"key_id\": \"…\"} is required");
    }
    ReplayService.Outcome outcome = replays.replay(requestId, request.model(), request.keyId());
    ObjectNode original = json.valueToTree(outcome.original().record());
    original.set("response", outcome.original().response());
    ObjectNode body = json.createObjectNode();
    body.set("original", original);
    body.set("replay", json.valueToTree(outcome.replay()));
    return body;
  }
}
