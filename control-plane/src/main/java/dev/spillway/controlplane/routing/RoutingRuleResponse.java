package dev.spillway.controlplane.routing;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** A routing rule on the admin API; {@code route} is the route's model name, {@code route_id} its id. */
public record RoutingRuleResponse(
    UUID id,
    String name,
    int priority,
    MatchView match,
    String route,
    UUID routeId,
    Instant createdAt,
    Instant updatedAt) {

  public record MatchView(UUID teamId, Map<String, String> keyMetadata, Map<String, String> headers, String model) {}

  public static RoutingRuleResponse of(RoutingRule r) {
    return new RoutingRuleResponse(r.id(), r.name(), r.priority(),
        new MatchView(r.teamId(), r.keyMetadata(), r.headers(), r.modelPattern()), r.routeModel(), r.routeId(),
        r.createdAt(), r.updatedAt());
  }

  public RoutingRuleRequest toRequest() {
    return new RoutingRuleRequest(name, priority, new RoutingRuleRequest.MatchBody(
        match.teamId() == null ? null : match.teamId().toString(), new LinkedHashMap<>(match.keyMetadata()),
        new LinkedHashMap<>(match.headers()), match.model()), route);
  }

  public Map<String, Object> auditView() {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("name", name);
    view.put("priority", priority);
    view.put("match", match);
    view.put("route", route);
    return view;
  }
}
