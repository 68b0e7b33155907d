package dev.spillway.testsupport;

import dev.spillway.config.OrganizationConfig;
import dev.spillway.config.PriceConfig;
import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderKeyConfig;
import dev.spillway.config.ProviderType;
import dev.spillway.config.RetryConfig;
import dev.spillway.config.RouteConfig;
import dev.spillway.config.RouteTargetConfig;
import dev.spillway.config.SealedSecret;
import dev.spillway.config.Sha256;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.config.TeamConfig;
import dev.spillway.config.TimeoutsConfig;
import dev.spillway.config.VirtualKeyConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds snapshots for data-plane tests, sealing provider keys with the node token like the control plane does. */
public final class Snapshots {
  public static final String NODE_TOKEN = "test-node-token-0123456789";

  private long version = 1;
  private final List<TeamConfig> teams = new ArrayList<>();
  private final List<VirtualKeyConfig> keys = new ArrayList<>();
  private final List<ProviderConfig> providers = new ArrayList<>();
  private final List<RouteConfig> routes = new ArrayList<>();
  private final List<PriceConfig> prices = new ArrayList<>();
  private final List<dev.spillway.config.RoutingRuleConfig> rules = new ArrayList<>();
  private final List<dev.spillway.config.CacheInvalidation> invalidations = new ArrayList<>();
  private final SealedSecret sealer = SealedSecret.forNodes(NODE_TOKEN);

  public static Snapshots builder() {
    return new Snapshots();
  }

  public Snapshots version(long version) {
    this.version = version;
    return this;
  }

  public Snapshots team(String id) {
    teams.add(new TeamConfig(id, "team " + id, null, null, null));
    return this;
  }

  /** A key of {@code teamId} whose secret is {@code secret}; {@code models} empty means all. */
  public Snapshots key(String teamId, String secret, String... models) {
    return key(teamId, secret, null, models);
  }

  /** A team with cache settings. */
  public Snapshots team(String id, dev.spillway.config.CacheConfig cache) {
    teams.add(new TeamConfig(id, "team " + id, null, null, cache));
    return this;
  }

  /** A team with request-log settings. */
  public Snapshots team(String id, dev.spillway.config.LoggingConfig logging) {
    teams.add(new TeamConfig(id, "team " + id, null, null, null, logging));
    return this;
  }

  /** A key (all models) with request-log settings over its team's. */
  public Snapshots key(String teamId, String secret, dev.spillway.config.LoggingConfig logging) {
    keys.add(new VirtualKeyConfig("key-" + keys.size(), "key " + keys.size(), teamId, Sha256.hex(secret),
        secret.substring(0, Math.min(12, secret.length())), List.of(), null, null, null, null, null, logging));
    return this;
  }

  /** An admin's cache invalidation. */
  public Snapshots cacheInvalidation(dev.spillway.config.CacheInvalidation invalidation) {
    invalidations.add(invalidation);
    return this;
  }

  /** A team with its own budget and rate limit (either may be null). */
  public Snapshots team(String id, dev.spillway.config.BudgetConfig budget, dev.spillway.config.RateLimitConfig rate) {
    teams.add(new TeamConfig(id, "team " + id, budget, rate, null));
    return this;
  }

  /** A key (id {@code key-<n>}, in the order added) with its own budget and rate limit (either may be null). */
  public Snapshots key(String teamId, String secret, dev.spillway.config.BudgetConfig budget,
      dev.spillway.config.RateLimitConfig rate) {
    keys.add(new VirtualKeyConfig("key-" + keys.size(), "key " + keys.size(), teamId, Sha256.hex(secret),
        secret.substring(0, Math.min(12, secret.length())), List.of(), budget, rate, null, null));
    return this;
  }

  public Snapshots key(String teamId, String secret, Instant expiresAt, String... models) {
    keys.add(new VirtualKeyConfig("key-" + keys.size(), "key " + keys.size(), teamId, Sha256.hex(secret),
        secret.substring(0, Math.min(12, secret.length())), List.of(models), null, null, null, expiresAt));
    return this;
  }

  /** A key (all models) carrying {@code metadata}, for routing rules. */
  public Snapshots key(String teamId, String secret, Map<String, String> metadata) {
    keys.add(new VirtualKeyConfig("key-" + keys.size(), "key " + keys.size(), teamId, Sha256.hex(secret),
        secret.substring(0, Math.min(12, secret.length())), List.of(), null, null, null, null, metadata));
    return this;
  }

  /** A provider whose breaker (and key cooldowns) follow {@code breaker}; its keys are named k0, k1, … */
  public Snapshots provider(String name, ProviderType type, String baseUrl, dev.spillway.config.BreakerConfig breaker,
      String... secrets) {
    provider(name, type, baseUrl, secrets);
    ProviderConfig added = providers.remove(providers.size() - 1);
    providers.add(new ProviderConfig(added.id(), added.name(), added.type(), added.baseUrl(), added.keys(),
        added.settings(), added.timeouts(), breaker));
    return this;
  }

  /** A route as given (strategy, stickiness, weights). */
  public Snapshots route(RouteConfig route) {
    routes.add(route);
    return this;
  }

  public Snapshots rule(dev.spillway.config.RoutingRuleConfig rule) {
    rules.add(rule);
    return this;
  }

  public Snapshots provider(String name, ProviderType type, String baseUrl, String... secrets) {
    return provider(name, type, baseUrl, Map.of(), null, secrets);
  }

  public Snapshots provider(String name, ProviderType type, String baseUrl, Map<String, String> settings,
      TimeoutsConfig timeouts, String... secrets) {
    String id = "prov-" + name;
    List<ProviderKeyConfig> sealed = new ArrayList<>();
    for (int i = 0; i < secrets.length; i++) {
      String keyName = "k" + i;
      sealed.add(new ProviderKeyConfig(keyName, 1, sealer.seal(secrets[i], "provider:" + id + ":key:" + keyName)));
    }
    providers.add(new ProviderConfig(id, name, type, baseUrl, sealed, settings, timeouts));
    return this;
  }

  /** A route to one or more {@code provider/model} targets (equal weights). */
  public Snapshots route(String model, String... targets) {
    return route(model, List.of(targets), List.of(), RetryConfig.NONE);
  }

  public Snapshots route(String model, List<String> targets, List<String> fallbacks, RetryConfig retry) {
    routes.add(new RouteConfig("route-" + model, model, targets.stream().map(t -> target(t, 1)).toList(),
        fallbacks.stream().map(t -> target(t, 0)).toList(), retry));
    return this;
  }

  private static RouteTargetConfig target(String spec, int weight) {
    int slash = spec.indexOf('/');
    return new RouteTargetConfig(spec.substring(0, slash), spec.substring(slash + 1), weight);
  }

  /** A price in USD per million tokens; {@code cachedInput} may be null. */
  public Snapshots price(String provider, String model, String input, String output, String cachedInput) {
    prices.add(new PriceConfig(provider, model, new java.math.BigDecimal(input), new java.math.BigDecimal(output),
        cachedInput == null ? null : new java.math.BigDecimal(cachedInput)));
    return this;
  }

  public SnapshotConfig build() {
    return new SnapshotConfig(SnapshotConfig.KIND_FULL, version, Instant.parse("2026-11-25T00:00:00Z"),
        new OrganizationConfig("org", "default", null, null), teams, keys, providers, routes, prices, rules,
        invalidations);
  }
}
