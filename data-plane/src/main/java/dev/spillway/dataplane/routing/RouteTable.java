package dev.spillway.dataplane.routing;

import dev.spillway.config.RetryConfig;
import dev.spillway.config.RouteConfig;
import dev.spillway.config.RouteTargetConfig;
import dev.spillway.config.RoutingRuleConfig;
import dev.spillway.config.RoutingStrategy;
import dev.spillway.dataplane.provider.ProviderRuntime;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resolves the {@code model} a client sends into a plan of upstream targets: the first routing rule that matches the
 * request names a route; otherwise a route by name (its targets, then its fallbacks), or {@code <provider>/<model>}
 * directly. Which target and key a request tries first is decided per attempt, from their health
 * ({@link TargetSelector}); a plan only lists what may be tried.
 */
public final class RouteTable {
  /**
   * One upstream target: a provider and the model to ask it for, with the health of each of the provider's keys for
   * that model ({@code keys.get(i)} is credential {@code i}; a provider without credentials has one entry).
   */
  public record Target(ProviderRuntime provider, String model, int weight, List<TargetHealth> keys) {
    /** This target sending with key {@code index} only: what an attempt hands to the provider adapter. */
    public Target withKey(int index) {
      ProviderRuntime one = provider.pinnedTo(index);
      return one == provider ? this : new Target(one, model, weight, List.of(keys.get(index)));
    }
  }

  /**
   * What a model name resolved to.
   *
   * @param targets   the route's targets, then its fallbacks (or the request's own fallbacks)
   * @param primaries how many of {@code targets} are the route's targets, which {@code strategy} orders
   */
  public record Plan(String requestedModel, String routeName, List<Target> targets, int primaries, RetryConfig retry,
      RoutingStrategy strategy, boolean sticky) {
    /** The primary target alone, tried once. */
    public Plan primaryOnly() {
      return new Plan(requestedModel, routeName, List.of(targets.get(0)), 1, RetryConfig.NONE, strategy, sticky);
    }

    /** The same plan with its fallbacks replaced by {@code fallbacks}. */
    public Plan withFallbacks(List<Target> fallbacks) {
      List<Target> all = new ArrayList<>(primaries + fallbacks.size());
      all.addAll(targets.subList(0, primaries));
      all.addAll(fallbacks);
      return new Plan(requestedModel, routeName, List.copyOf(all), primaries, retry, strategy, sticky);
    }
  }

  /** Beyond this many distinct {@code <provider>/<model>} names, plans are built per request and not remembered. */
  private static final int MAX_DIRECT = 4096;

  private final Map<String, Plan> routes;
  private final Map<String, ProviderRuntime> providers;
  private final RoutingHealth health;
  private final RoutingRules rules;
  /** {@code <provider>/<model>} targets met so far, so that a request finds its health entries without building. */
  private final ConcurrentHashMap<String, Optional<Plan>> direct = new ConcurrentHashMap<>();

  private RouteTable(Map<String, Plan> routes, Map<String, ProviderRuntime> providers, RoutingHealth health,
      RoutingRules rules) {
    this.routes = routes;
    this.providers = providers;
    this.health = health;
    this.rules = rules;
  }

  public static RouteTable compile(List<RouteConfig> routes, Map<String, ProviderRuntime> providers) {
    return compile(routes, List.of(), providers, new RoutingHealth());
  }

  public static RouteTable compile(List<RouteConfig> routes, List<RoutingRuleConfig> rules,
      Map<String, ProviderRuntime> providers, RoutingHealth health) {
    Map<String, Plan> compiled = new HashMap<>();
    for (RouteConfig route : routes) {
      List<Target> targets = new ArrayList<>();
      route.targets().forEach(t -> targets.add(target(t, providers, health)));
      route.fallbacks().forEach(t -> targets.add(target(t, providers, health)));
      compiled.put(route.model(), new Plan(route.model(), route.model(), List.copyOf(targets), route.targets().size(),
          route.retry(), route.strategy(), route.isSticky()));
    }
    return new RouteTable(Map.copyOf(compiled), Map.copyOf(providers), health, RoutingRules.compile(rules));
  }

  private static Target target(RouteTargetConfig t, Map<String, ProviderRuntime> providers, RoutingHealth health) {
    ProviderRuntime provider = providers.get(t.provider());
    if (provider == null) {
      throw new IllegalArgumentException("route target refers to unknown provider " + t.provider());
    }
    return target(provider, t.model(), t.weight(), health);
  }

  private static Target target(ProviderRuntime provider, String model, int weight, RoutingHealth health) {
    List<TargetHealth> keys = new ArrayList<>();
    if (provider.credentials().isEmpty()) {
      keys.add(health.target(provider.name(), RoutingHealth.NO_KEY, model, provider.config().breaker()));
    } else {
      provider.credentials().forEach(c ->
          keys.add(health.target(provider.name(), c.name(), model, provider.config().breaker())));
    }
    return new Target(provider, model, weight, List.copyOf(keys));
  }

  /** The plan for {@code model}, or empty when no route or provider matches. Routing rules do not apply. */
  public Optional<Plan> resolve(String model) {
    Plan route = routes.get(model);
    if (route != null) {
      return Optional.of(route);
    }
    Optional<Plan> known = direct.get(model);
    if (known != null) {
      return known;
    }
    // Any client can invent model names: remember a bounded number of them.
    return direct.size() < MAX_DIRECT ? direct.computeIfAbsent(model, m -> directPlan(m, health))
        : directPlan(model, null);
  }

  /**
   * The plan for a request: the route of the first routing rule that matches it, else {@link #resolve(String)}.
   * The plan keeps the client's {@code model} as its requested model.
   */
  public Optional<Plan> resolve(String model, String teamId, Map<String, String> keyMetadata, HttpHeaders headers) {
    if (!rules.isEmpty()) {
      String ruled = rules.routeFor(teamId, keyMetadata, headers, model);
      if (ruled != null) {
        Plan route = routes.get(ruled);
        if (route != null) {
          return Optional.of(new Plan(model, route.routeName(), route.targets(), route.primaries(), route.retry(),
              route.strategy(), route.sticky()));
        }
      }
    }
    return resolve(model);
  }

  /** With {@code health} null, the plan's health entries are its own, not the node's. */
  private Optional<Plan> directPlan(String model, RoutingHealth health) {
    int slash = model.indexOf('/');
    if (slash > 0 && slash < model.length() - 1) {
      ProviderRuntime provider = providers.get(model.substring(0, slash));
      if (provider != null) {
        return Optional.of(new Plan(model, null, List.of(target(provider, model.substring(slash + 1), 1,
            health != null ? health : new RoutingHealth())), 1,
            RetryConfig.NONE, RoutingStrategy.WEIGHTED, true));
      }
    }
    return Optional.empty();
  }

  /** Names clients may send: every route, for {@code GET /v1/models}. */
  public List<String> routeNames() {
    return routes.keySet().stream().sorted().toList();
  }

  public Map<String, ProviderRuntime> providers() {
    return providers;
  }

  public RoutingHealth health() {
    return health;
  }
}
