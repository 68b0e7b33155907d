package dev.spillway.controlplane.routing;

import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.configversion.ConfigVersions;
import dev.spillway.controlplane.provider.Provider;
import dev.spillway.controlplane.provider.ProviderRepository;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class RouteService {
  private final RouteRepository routes;
  private final RoutingRuleRepository rules;
  private final ProviderRepository providers;
  private final ConfigVersions versions;
  private final AuditLog audit;

  public RouteService(RouteRepository routes, RoutingRuleRepository rules, ProviderRepository providers,
      ConfigVersions versions, AuditLog audit) {
    this.routes = routes;
    this.rules = rules;
    this.providers = providers;
    this.versions = versions;
    this.audit = audit;
  }

  @Transactional(readOnly = true)
  public List<Route> list() {
    return routes.findAll();
  }

  @Transactional(readOnly = true)
  public Route get(UUID id) {
    return routes.findById(id).orElseThrow(() -> ApiException.notFound("route", id));
  }

  /**
   * Validates a route without saving it (the dashboard checks as the admin types); {@code self} is the route being
   * edited, null for a new one. Throws the same errors create and update would.
   */
  @Transactional(readOnly = true)
  public void check(RouteRequest request, UUID self) {
    RouteRequest.Valid valid = request.validate(providersByName());
    requireUniqueModel(valid.model(), self);
  }

  @Transactional
  public Route create(RouteRequest request) {
    RouteRequest.Valid valid = request.validate(providersByName());
    requireUniqueModel(valid.model(), null);
    Instant now = Instant.now();
    Route route = new Route(UUID.randomUUID(), valid.model(), valid.targets(), valid.fallbacks(), valid.retry(),
        valid.strategy(), valid.sticky(), now, now);
    routes.save(route);
    long version = versions.bump();
    audit.record("route.create", "route", route.id(), null, RouteResponse.of(route).auditView(), version);
    return route;
  }

  @Transactional
  public Route update(UUID id, RouteRequest request) {
    Route before = get(id);
    RouteRequest.Valid valid = request.validate(providersByName());
    requireUniqueModel(valid.model(), id);
    Route after = new Route(id, valid.model(), valid.targets(), valid.fallbacks(), valid.retry(), valid.strategy(),
        valid.sticky(), before.createdAt(), Instant.now());
    routes.save(after);
    long version = versions.bump();
    audit.record("route.update", "route", id, RouteResponse.of(before).auditView(), RouteResponse.of(after).auditView(),
        version);
    return after;
  }

  @Transactional
  public void delete(UUID id) {
    Route route = get(id);
    // A key that lists this route among its allowed models would silently lose it; name those keys instead.
    List<String> keys = routes.keysAllowing(route.model(), 11);
    if (!keys.isEmpty()) {
      throw ApiException.conflict("id", "route " + route.model() + " is an allowed model of active virtual keys: "
          + String.join(", ", keys.subList(0, Math.min(10, keys.size()))) + (keys.size() > 10 ? ", …" : "")
          + "; change their models or revoke them first");
    }
    List<String> ruleNames = rules.namesUsingRoute(id);
    if (!ruleNames.isEmpty()) {
      throw ApiException.conflict("id", "route " + route.model() + " is the target of routing rules: "
          + String.join(", ", ruleNames) + "; change or delete those rules first");
    }
    routes.delete(id);
    long version = versions.bump();
    audit.record("route.delete", "route", id, RouteResponse.of(route).auditView(), null, version);
  }

  private Map<String, Provider> providersByName() {
    return providers.findAll().stream().collect(Collectors.toMap(Provider::name, Function.identity()));
  }

  private void requireUniqueModel(String model, UUID self) {
    routes.findByModel(model).filter(existing -> !existing.id().equals(self)).ifPresent(existing -> {
      throw ApiException.conflict("model", "a route for model " + model + " already exists");
    });
  }
}
