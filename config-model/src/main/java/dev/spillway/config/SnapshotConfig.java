package dev.spillway.config;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Everything a data-plane node needs to serve requests, at one config version.
 *
 * <p>Lists are kept sorted by id so that two builds of the same version encode to the same bytes and
 * therefore the same hash, whatever order the database returned rows in.
 *
 * @param kind         {@code "full"}; a later {@code "delta"} kind may carry changes only
 * @param version      the config version (monotonic, bumped by every committed config change)
 * @param createdAt    when that version was committed
 * @param organization the organisation and its own limits
 * @param teams        every team
 * @param virtualKeys  every usable virtual key (revoked keys are absent)
 * @param providers    every provider with its sealed credentials
 * @param routes       every route by client-facing model name
 * @param prices       effective prices per provider name and upstream model
 * @param routingRules conditional routing rules, evaluated by ascending priority before a model resolves
 * @param cacheInvalidations cached answers admins invalidated, oldest first: nodes drop them from memory
 */
public record SnapshotConfig(
    String kind,
    long version,
    Instant createdAt,
    OrganizationConfig organization,
    List<TeamConfig> teams,
    List<VirtualKeyConfig> virtualKeys,
    List<ProviderConfig> providers,
    List<RouteConfig> routes,
    List<PriceConfig> prices,
    List<RoutingRuleConfig> routingRules,
    List<CacheInvalidation> cacheInvalidations) {

  public static final String KIND_FULL = "full";

  public SnapshotConfig {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(organization, "organization");
    teams = sorted(teams, Comparator.comparing(TeamConfig::id));
    virtualKeys = sorted(virtualKeys, Comparator.comparing(VirtualKeyConfig::id));
    providers = sorted(providers, Comparator.comparing(ProviderConfig::id));
    routes = sorted(routes, Comparator.comparing(RouteConfig::id));
    prices = sorted(prices, Comparator.comparing(PriceConfig::provider).thenComparing(PriceConfig::model));
    routingRules = sorted(routingRules,
        Comparator.comparingInt(RoutingRuleConfig::priority).thenComparing(RoutingRuleConfig::id));
    cacheInvalidations = sorted(cacheInvalidations, Comparator.comparing(CacheInvalidation::at)
        .thenComparing(CacheInvalidation::scope).thenComparing(i -> i.id() == null ? "" : i.id()));
  }

  /** A snapshot without cache invalidations. */
  public SnapshotConfig(String kind, long version, Instant createdAt, OrganizationConfig organization,
      List<TeamConfig> teams, List<VirtualKeyConfig> virtualKeys, List<ProviderConfig> providers,
      List<RouteConfig> routes, List<PriceConfig> prices, List<RoutingRuleConfig> routingRules) {
    this(kind, version, createdAt, organization, teams, virtualKeys, providers, routes, prices, routingRules, null);
  }

  /** A snapshot without routing rules. */
  public SnapshotConfig(String kind, long version, Instant createdAt, OrganizationConfig organization,
      List<TeamConfig> teams, List<VirtualKeyConfig> virtualKeys, List<ProviderConfig> providers,
      List<RouteConfig> routes, List<PriceConfig> prices) {
    this(kind, version, createdAt, organization, teams, virtualKeys, providers, routes, prices, null, null);
  }

  private static <T> List<T> sorted(List<T> items, Comparator<T> order) {
    if (items == null) {
      return List.of();
    }
    return items.stream().sorted(order).toList();
  }
}
