package dev.spillway.controlplane.routing.web;

import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.common.Patches;
import dev.spillway.controlplane.routing.RoutingRuleRequest;
import dev.spillway.controlplane.routing.RoutingRuleResponse;
import dev.spillway.controlplane.routing.RoutingRuleService;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

/** {@code /api/v1/routing-rules}: conditional routing, evaluated by nodes in ascending priority. */
@RestController
@RequestMapping("/api/v1/routing-rules")
class RoutingRuleApiController {
  private static final Set<String> READ_ONLY = Set.of("id", "route_id", "created_at", "updated_at");

  private final RoutingRuleService rules;
  private final Patches patches;

  RoutingRuleApiController(RoutingRuleService rules, Patches patches) {
    this.rules = rules;
    this.patches = patches;
  }

  @GetMapping
  Map<String, List<RoutingRuleResponse>> list() {
    return Map.of("data", rules.list().stream().map(RoutingRuleResponse::of).toList());
  }

  @PostMapping
  ResponseEntity<RoutingRuleResponse> create(@RequestBody RoutingRuleRequest request) {
    RoutingRuleResponse created = RoutingRuleResponse.of(rules.create(request));
    return ResponseEntity.created(URI.create("/api/v1/routing-rules/" + created.id())).body(created);
  }

  @GetMapping("/{id}")
  RoutingRuleResponse get(@PathVariable String id) {
    return RoutingRuleResponse.of(rules.get(Ids.parse("routing rule", id)));
  }

  @PatchMapping("/{id}")
  RoutingRuleResponse patch(@PathVariable String id, @RequestBody JsonNode patch) {
    UUID ruleId = Ids.parse("routing rule", id);
    RoutingRuleRequest current = RoutingRuleResponse.of(rules.get(ruleId)).toRequest();
    return RoutingRuleResponse.of(rules.update(ruleId,
        patches.merge(current, patch, RoutingRuleRequest.class, READ_ONLY)));
  }

  @DeleteMapping("/{id}")
  ResponseEntity<Void> delete(@PathVariable String id) {
    rules.delete(Ids.parse("routing rule", id));
    return ResponseEntity.noContent().build();
  }
}
