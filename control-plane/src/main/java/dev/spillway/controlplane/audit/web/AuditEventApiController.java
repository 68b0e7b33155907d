package dev.spillway.controlplane.audit.web;

import dev.spillway.controlplane.audit.AuditEvents;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.QueryParams;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /api/v1/audit-events}: who changed what, newest first. Pages with {@code cursor} (the
 * {@code next_cursor} of the previous page); {@code from} is inclusive, {@code to} exclusive.
 */
@RestController
class AuditEventApiController {
  private static final Set<String> ACTOR_TYPES = Set.of("user", "api_token", "bootstrap_token", "system");

  private final AuditEvents events;

  AuditEventApiController(AuditEvents events) {
    this.events = events;
  }

  record Actor(String type, String id, String name) {}

  record EventView(long id, Instant occurredAt, Actor actor, String action, String resourceType, String resourceId,
      JsonNode before, JsonNode after, Long configVersion, String requestId, String clientIp) {}

  @GetMapping("/api/v1/audit-events")
  Map<String, Object> list(
      @RequestParam(name = "actor_type", required = false) String actorType,
      @RequestParam(name = "actor_id", required = false) String actorId,
      @RequestParam(required = false) String actor,
      @RequestParam(name = "resource_type", required = false) String resourceType,
      @RequestParam(name = "resource_id", required = false) String resourceId,
      @RequestParam(required = false) String action,
      @RequestParam(required = false) String from,
      @RequestParam(required = false) String to,
      @RequestParam(required = false) String cursor,
      @RequestParam(defaultValue = "100") int limit) {
    if (limit < 1 || limit > 500) {
      throw ApiException.invalid("limit", "must be between 1 and 500");
    }
    if (actorType != null && !ACTOR_TYPES.contains(actorType)) {
      throw ApiException.invalid("actor_type", "must be one of user, api_token, bootstrap_token, system");
    }
    Instant fromInstant = QueryParams.instant("from", from);
    Instant toInstant = QueryParams.instant("to", to);
    if (fromInstant != null && toInstant != null && !fromInstant.isBefore(toInstant)) {
      throw ApiException.invalid("to", "must be after from");
    }
    Long beforeId = null;
    if (cursor != null) {
      try {
        beforeId = Long.parseLong(cursor);
      } catch (NumberFormatException e) {
        throw ApiException.invalid("cursor", "is not a cursor from a previous page");
      }
    }
    List<EventView> page = events.find(new AuditEvents.Query(actorType, actorId, actor, resourceType, resourceId,
            blankToNull(action), fromInstant, toInstant, beforeId, limit)).stream()
        .map(e -> new EventView(e.id(), e.occurredAt(), new Actor(e.actorType(), e.actorId(), e.actorName()),
            e.action(), e.resourceType(), e.resourceId(), e.before(), e.after(), e.configVersion(), e.requestId(),
            e.clientIp()))
        .toList();
    Map<String, Object> body = new HashMap<>();
    body.put("data", page);
    body.put("next_cursor", page.size() == limit ? Long.toString(page.get(page.size() - 1).id()) : null);
    return body;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
