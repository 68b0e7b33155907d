package dev.spillway.controlplane.routing.web;

import dev.spillway.controlplane.common.Ids;
import dev.spillway.controlplane.common.Patches;
import dev.spillway.controlplane.node.TargetHealth;
import dev.spillway.controlplane.provider.Provider;
import dev.spillway.controlplane.provider.ProviderService;
import dev.spillway.controlplane.routing.Route;
import dev.spillway.controlplane.routing.RouteRequest;
import dev.spillway.controlplane.routing.RouteResponse;
import dev.spillway.controlplane.routing.RouteService;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
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

@RestController
@RequestMapping("/api/v1/routes")
class RouteApiController {
  private static final Set<String> READ_ONLY = Set.of("id", "created_at", "updated_at");

  private final RouteService routes;
  private final ProviderService providers;
  private final TargetHealth health;
  private final Patches patches;

  RouteApiController(RouteService routes, ProviderService providers, TargetHealth health, Patches patches) {
    this.routes = routes;
    this.providers = providers;
    this.health = health;
    this.patches = patches;
  }

  @GetMapping
  Map<String, List<RouteResponse>> list() {
    return Map.of("data", routes.list().stream().map(RouteResponse::of).toList());
  }

  @PostMapping
  ResponseEntity<RouteResponse> create(@RequestBody RouteRequest request) {
    RouteResponse created = RouteResponse.of(routes.create(request));
    return ResponseEntity.created(URI.create("/api/v1/routes/" + created.id())).body(created);
  }

  @GetMapping("/{id}")
  RouteResponse get(@PathVariable String id) {
    return RouteResponse.of(routes.get(Ids.parse("route", id)));
  }

  /** Each target's and fallback's health per provider key, across the live nodes. */
  @GetMapping("/{id}/health")
  RouteHealth health(@PathVariable String id) {
    Route route = routes.get(Ids.parse("route", id));
    return RouteHealth.of(route, providers.list().stream()
        .collect(Collectors.toMap(Provider::name, Function.identity())), health);
  }

  @PatchMapping("/{id}")
  RouteResponse patch(@PathVariable String id, @RequestBody JsonNode patch) {
    var routeId = Ids.parse("route", id);
    RouteRequest current = RouteResponse.of(routes.get(routeId)).toRequest();
    return RouteResponse.of(routes.update(routeId, patches.merge(current, patch, RouteRequest.class, READ_ONLY)));
  }

  @DeleteMapping("/{id}")
  ResponseEntity<Void> delete(@PathVariable String id) {
    routes.delete(Ids.parse("route", id));
    return ResponseEntity.noContent().build();
  }
}
