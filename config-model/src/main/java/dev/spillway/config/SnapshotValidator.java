package dev.spillway.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Semantic checks a snapshot must pass before it is published or applied: unique identities and no
 * dangling references. Messages name the missing thing and list what exists, so an operator can fix
 * the config without reading code.
 */
public final class SnapshotValidator {
  private static final int LISTED_NAMES = 20;

  private SnapshotValidator() {}

  /** Every problem found; empty when the snapshot is usable. */
  public static List<String> problems(SnapshotConfig snapshot) {
    List<String> problems = new ArrayList<>();
    if (!SnapshotConfig.KIND_FULL.equals(snapshot.kind())) {
      problems.add("kind: " + snapshot.kind() + " (expected: " + SnapshotConfig.KIND_FULL + ")");
    }
    if (snapshot.version() <= 0) {
      problems.add("version: " + snapshot.version() + " (expected: > 0)");
    }

    Map<String, TeamConfig> teams = unique(snapshot.teams(), TeamConfig::id, "team id", problems);
    unique(snapshot.teams(), TeamConfig::name, "team name", problems);
    Map<String, ProviderConfig> providers = unique(snapshot.providers(), ProviderConfig::name, "provider name", problems);
    unique(snapshot.providers(), ProviderConfig::id, "provider id", problems);
    unique(snapshot.routes(), RouteConfig::model, "route model", problems);
    unique(snapshot.routes(), RouteConfig::id, "route id", problems);
    unique(snapshot.virtualKeys(), VirtualKeyConfig::id, "virtual key id", problems);

    Set<String> keyHashes = new HashSet<>(snapshot.virtualKeys().size() * 2);
    for (VirtualKeyConfig key : snapshot.virtualKeys()) {
      if (!teams.containsKey(key.teamId())) {
        problems.add("virtual key " + key.id() + " refers to team " + key.teamId()
            + " which does not exist (teams: " + listed(teams.keySet()) + ")");
      }
      if (!Sha256.isHexDigest(key.keyHash())) {
        problems.add("virtual key " + key.id() + " has a key_hash that is not a lower-case hex SHA-256");
      } else if (!keyHashes.add(key.keyHash())) {
        problems.add("virtual key " + key.id() + " has the same key_hash as another key");
      }
    }

    for (ProviderConfig provider : snapshot.providers()) {
      for (ProviderKeyConfig key : provider.keys()) {
        if (key.weight() < 0) {
          problems.add("provider " + provider.name() + " key " + key.name() + " has weight " + key.weight()
              + " (expected: >= 0)");
        }
      }
    }

    for (RouteConfig route : snapshot.routes()) {
      if (route.targets().isEmpty()) {
        problems.add("route " + route.model() + " has no targets");
      }
      int totalWeight = 0;
      for (RouteTargetConfig target : route.targets()) {
        checkTarget(route, target, providers, problems);
        if (target.weight() < 0) {
          problems.add("route " + route.model() + " target " + target.provider() + "/" + target.model()
              + " has weight " + target.weight() + " (expected: >= 0)");
        }
        totalWeight += Math.max(0, target.weight());
      }
      if (!route.targets().isEmpty() && totalWeight == 0) {
        problems.add("route " + route.model() + " has targets whose weights sum to 0");
      }
      for (RouteTargetConfig fallback : route.fallbacks()) {
        checkTarget(route, fallback, providers, problems);
      }
    }

    Set<String> routeModels = new java.util.HashSet<>();
    snapshot.routes().forEach(r -> routeModels.add(r.model()));
    unique(snapshot.routingRules(), RoutingRuleConfig::id, "routing rule id", problems);
    for (RoutingRuleConfig rule : snapshot.routingRules()) {
      if (!routeModels.contains(rule.route())) {
        problems.add("routing rule " + rule.name() + " sends requests to route " + rule.route()
            + " which does not exist (routes: " + listed(routeModels) + ")");
      }
      if (!rule.hasCondition()) {
        problems.add("routing rule " + rule.name() + " has no condition (it would capture every request)");
      }
    }

    for (PriceConfig price : snapshot.prices()) {
      if (!providers.containsKey(price.provider())) {
        problems.add("price for " + price.provider() + "/" + price.model() + " refers to provider "
            + price.provider() + " which does not exist (providers: " + listed(providers.keySet()) + ")");
      }
    }
    return problems;
  }

  /** Throws {@link InvalidSnapshotException} listing every problem, if there is any. */
  public static void requireValid(SnapshotConfig snapshot) {
    List<String> problems = problems(snapshot);
    if (!problems.isEmpty()) {
      throw new InvalidSnapshotException(problems);
    }
  }

  private static void checkTarget(RouteConfig route, RouteTargetConfig target,
      Map<String, ProviderConfig> providers, List<String> problems) {
    if (!providers.containsKey(target.provider())) {
      problems.add("route " + route.model() + " refers to provider " + target.provider()
          + " which does not exist (providers: " + listed(providers.keySet()) + ")");
    }
    if (target.model().isBlank()) {
      problems.add("route " + route.model() + " has a target with an empty model");
    }
  }

  private static <T> Map<String, T> unique(List<T> items, Function<T, String> identity, String what,
      List<String> problems) {
    Map<String, T> byIdentity = new HashMap<>(items.size() * 2);
    for (T item : items) {
      String id = identity.apply(item);
      if (id == null) {
        problems.add(what + " is missing");
      } else if (byIdentity.putIfAbsent(id, item) != null) {
        problems.add("duplicate " + what + ": " + id);
      }
    }
    return byIdentity;
  }

  private static String listed(Set<String> names) {
    if (names.isEmpty()) {
      return "none";
    }
    TreeSet<String> sorted = new TreeSet<>(names);
    List<String> shown = sorted.stream().limit(LISTED_NAMES).toList();
    String more = sorted.size() > LISTED_NAMES ? ", … " + (sorted.size() - LISTED_NAMES) + " more" : "";
    return String.join(", ", shown) + more;
  }
}
