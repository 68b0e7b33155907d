package dev.spillway.controlplane.routing.web;

import dev.spillway.controlplane.node.TargetHealth;
import dev.spillway.controlplane.provider.Provider;
import dev.spillway.controlplane.provider.ProviderKey;
import dev.spillway.controlplane.routing.Route;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code GET /api/v1/routes/{id}/health} and the route page's health table: each target and fallback of a route,
 * each key of its provider, as the live nodes report them.
 */
record RouteHealth(UUID routeId, String model, int liveNodes, int reportingNodes, Instant generatedAt,
    List<Target> targets) {

  record Target(String kind, String provider, String model, List<TargetHealth.KeyView> keys) {}

  static RouteHealth of(Route route, Map<String, Provider> providersByName, TargetHealth health) {
    List<TargetHealth.Wanted> wanted = new ArrayList<>();
    List<String> kinds = new ArrayList<>();
    for (Route.Target t : route.targets()) {
      wanted.add(wanted(t, providersByName));
      kinds.add("target");
    }
    for (Route.Target t : route.fallbacks()) {
      wanted.add(wanted(t, providersByName));
      kinds.add("fallback");
    }
    TargetHealth.View view = health.view(wanted);
    List<Target> targets = new ArrayList<>();
    for (int i = 0; i < wanted.size(); i++) {
      TargetHealth.TargetView t = view.targets().get(i);
      targets.add(new Target(kinds.get(i), t.provider(), t.model(), t.keys()));
    }
    return new RouteHealth(route.id(), route.model(), view.liveNodes(), view.reportingNodes(), view.at(), targets);
  }

  private static TargetHealth.Wanted wanted(Route.Target t, Map<String, Provider> providersByName) {
    Provider p = providersByName.get(t.providerName());
    return new TargetHealth.Wanted(t.providerName(), t.model(),
        p == null ? List.of() : p.keys().stream().map(ProviderKey::name).toList());
  }
}
