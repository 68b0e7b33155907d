package dev.spillway.dataplane.routing;

import dev.spillway.config.RetryConfig;
import dev.spillway.config.RouteConfig;
import dev.spillway.config.RouteTargetConfig;
import dev.spillway.dataplane.provider.ProviderRuntime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Resolves the {@code model} a client sends into an ordered plan of upstream targets: a route by name (one primary
 * target picked by weight, then the other targets, then the fallbacks), or {@code <provider>/<model>} directly.
 */
public final class RouteTable {
  /** One upstream target: a provider and the model to ask it for. */
  public record Target(ProviderRuntime provider, String model, int weight) {}

  /** What a model name resolved to: the targets to try in order, and how often to try each. */
  public record Plan(String requestedModel, String routeName, List<Target> targets, RetryConfig retry) {
    /** The primary target alone, tried once. */
    public Plan primaryOnly() {
      return new Plan(requestedModel, routeName, List.of(targets.get(0)), RetryConfig.NONE);
    }
  }

  private record CompiledRoute(RouteConfig config, List<Target> targets, List<Target> fallbacks, int totalWeight) {}

  private final Map<String, CompiledRoute> routes;
  private final Map<String, ProviderRuntime> providers;

  private RouteTable(Map<String, CompiledRoute> routes, Map<String, ProviderRuntime> providers) {
    this.routes = routes;
    this.providers = providers;
  }

  public static RouteTable compile(List<RouteConfig> routes, Map<String, ProviderRuntime> providers) {
    Map<String, CompiledRoute> compiled = new HashMap<>();
    for (RouteConfig route : routes) {
      List<Target> targets = route.targets().stream().map(t -> target(t, providers)).toList();
      List<Target> fallbacks = route.fallbacks().stream().map(t -> target(t, providers)).toList();
      int total = targets.stream().mapToInt(t -> Math.max(0, t.weight())).sum();
      compiled.put(route.model(), new CompiledRoute(route, targets, fallbacks, total));
    }
    return new RouteTable(Map.copyOf(compiled), Map.copyOf(providers));
  }

  private static Target target(RouteTargetConfig t, Map<String, ProviderRuntime> providers) {
    ProviderRuntime provider = providers.get(t.provider());
    if (provider == null) {
      throw new IllegalArgumentException("route target refers to unknown provider " + t.provider());
    }
    return new Target(provider, t.model(), t.weight());
  }

  /** The plan for {@code model}, or empty when no route or provider matches. */
  public Optional<Plan> resolve(String model) {
    CompiledRoute route = routes.get(model);
    if (route != null) {
      return Optional.of(new Plan(model, model, order(route), route.config().retry()));
    }
    int slash = model.indexOf('/');
    if (slash > 0 && slash < model.length() - 1) {
      ProviderRuntime provider = providers.get(model.substring(0, slash));
      if (provider != null) {
        return Optional.of(new Plan(model, null, List.of(new Target(provider, model.substring(slash + 1), 1)),
            RetryConfig.NONE));
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

  private static List<Target> order(CompiledRoute route) {
    List<Target> plan = new ArrayList<>(route.targets().size() + route.fallbacks().size());
    if (route.targets().size() == 1 || route.totalWeight() <= 0) {
      plan.addAll(route.targets());
    } else {
      // The primary is drawn by weight; the remaining targets follow as extra fallbacks, heaviest first.
      int ticket = ThreadLocalRandom.current().nextInt(route.totalWeight());
      Target primary = route.targets().get(route.targets().size() - 1);
      for (Target t : route.targets()) {
        ticket -= Math.max(0, t.weight());
        if (ticket < 0) {
          primary = t;
          break;
        }
      }
      plan.add(primary);
      Target chosen = primary;
      route.targets().stream().filter(t -> t != chosen && t.weight() > 0)
          .sorted((x, y) -> Integer.compare(y.weight(), x.weight()))
          .forEach(plan::add);
    }
    plan.addAll(route.fallbacks());
    return plan;
  }
}
