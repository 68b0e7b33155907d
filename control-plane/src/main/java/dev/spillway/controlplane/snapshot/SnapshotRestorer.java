package dev.spillway.controlplane.snapshot;

import dev.spillway.config.BreakerConfig;
import dev.spillway.config.InvalidSnapshotException;
import dev.spillway.config.PriceConfig;
import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderKeyConfig;
import dev.spillway.config.RouteTargetConfig;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.config.VirtualKeyConfig;
import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Organization;
import dev.spillway.controlplane.configversion.ConfigVersions;
import dev.spillway.controlplane.limits.LimitsRepository;
import dev.spillway.controlplane.limits.Scope;
import dev.spillway.controlplane.organization.OrganizationRepository;
import dev.spillway.controlplane.price.BuiltinPrice;
import dev.spillway.controlplane.price.PriceRepository;
import dev.spillway.controlplane.provider.Provider;
import dev.spillway.controlplane.provider.ProviderKey;
import dev.spillway.controlplane.provider.ProviderRepository;
import dev.spillway.controlplane.routing.Route;
import dev.spillway.controlplane.routing.RouteRepository;
import dev.spillway.controlplane.routing.RoutingRule;
import dev.spillway.controlplane.routing.RoutingRuleRepository;
import dev.spillway.controlplane.security.SecretCipher;
import dev.spillway.controlplane.team.Team;
import dev.spillway.controlplane.team.TeamRepository;
import dev.spillway.controlplane.virtualkey.VirtualKey;
import dev.spillway.controlplane.virtualkey.VirtualKeyRepository;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Restores the config of a stored snapshot version as a new version, so nodes move forward to it (they never go
 * back to an old version number).
 *
 * <p>What a restore brings back is what the snapshot holds, which is everything the nodes use:
 * <ul>
 *   <li>teams (name, cache, budget, rate limit) by id; teams created since are deleted together with their
 *       memberships, team-scoped API tokens and keys; description and metadata, which nodes never see, keep their
 *       current values;</li>
 *   <li>providers by id with their keys, opened from the node seal and sealed at rest again (this needs the same
 *       node token as when the snapshot was built); providers created since are deleted;</li>
 *   <li>routes by id (strategy, stickiness and retry included); routes created since are deleted;</li>
 *   <li>routing rules by id, as they were; rules created since are deleted;</li>
 *   <li>virtual keys by id and hash: every key active at that version is active again with its settings then
 *       (a key revoked since comes back, metadata included, which routing rules match), and every key that was not
 *       active then is revoked (keys created since
 *       included); revoked keys stay listed;</li>
 *   <li>prices (an override is kept wherever the snapshot's price differs from the built-in one) and the
 *       organisation's name and limits.</li>
 * </ul>
 * Users, memberships of surviving teams and API tokens are not config and are left alone.
 *
 * <p>All of it is one transaction, written through the features' repositories.
 */
@Service
public class SnapshotRestorer {
  /** What a restore changed. */
  public record Result(long version, long restoredFrom, int teams, int providers, int routes, int activeKeys,
      int revokedKeys, int deletedTeams) {}

  private final SnapshotHistory history;
  private final ProviderRepository providers;
  private final RouteRepository routes;
  private final RoutingRuleRepository rules;
  private final TeamRepository teams;
  private final VirtualKeyRepository keys;
  private final LimitsRepository limits;
  private final PriceRepository prices;
  private final OrganizationRepository organizations;
  private final SecretCipher cipher;
  private final ConfigVersions versions;
  private final AuditLog audit;
  private final SnapshotCodec codec = new SnapshotCodec();

  public SnapshotRestorer(SnapshotHistory history, ProviderRepository providers, RouteRepository routes,
      RoutingRuleRepository rules, TeamRepository teams, VirtualKeyRepository keys, LimitsRepository limits, PriceRepository prices,
      OrganizationRepository organizations, SecretCipher cipher, ConfigVersions versions, AuditLog audit) {
    this.history = history;
    this.providers = providers;
    this.routes = routes;
    this.rules = rules;
    this.teams = teams;
    this.keys = keys;
    this.limits = limits;
    this.prices = prices;
    this.organizations = organizations;
    this.cipher = cipher;
    this.versions = versions;
    this.audit = audit;
  }

  @Transactional
  public Result restore(long version) {
    var encoded = history.load(version).orElseThrow(() -> ApiException.notFound("stored snapshot", version
        + " (only the most recent versions are kept; see GET /api/v1/snapshots)"));
    SnapshotConfig s;
    try {
      s = codec.decode(encoded.gzipped(), encoded.sha256());
    } catch (InvalidSnapshotException e) {
      throw ApiException.conflict("version", "stored snapshot " + version + " cannot be read: " + e.getMessage());
    }
    long before = versions.lock();
    Instant now = Instant.now();
    UUID org = Organization.DEFAULT_ID;

    // Re-seal provider keys first: if the node token changed, nothing has been touched yet.
    Map<String, List<ProviderKey>> providerKeys = new HashMap<>();
    for (ProviderConfig p : s.providers()) {
      List<ProviderKey> resealedKeys = new ArrayList<>();
      for (ProviderKeyConfig k : p.keys()) {
        String context = Provider.sealContext(UUID.fromString(p.id()), k.name());
        try {
          SecretCipher.Resealed resealed = cipher.resealAtRestFromNodes(k.sealedValue(), context);
          resealedKeys.add(new ProviderKey(k.name(), k.weight(), resealed.sealedAtRest(), resealed.hint()));
        } catch (IllegalArgumentException e) {
          throw ApiException.conflict("version", "provider " + p.name() + " key " + k.name() + " of version "
              + version + " cannot be opened: SPILLWAY_NODE_TOKEN has changed since that snapshot was built");
        }
      }
      providerKeys.put(p.id(), resealedKeys);
    }

    // Routes let go of their providers (a route target keeps its provider from being deleted), then providers and
    // routes are replaced: what did not exist then is deleted, the rest written back under their names then.
    Map<String, UUID> providerIdByName = new HashMap<>();
    s.providers().forEach(p -> providerIdByName.put(p.name(), UUID.fromString(p.id())));
    // Rules go first too: a rule keeps its route from being deleted. They come back once routes and teams are.
    rules.replaceAll(List.of());
    routes.deleteAllTargets();
    providers.replaceAll(s.providers().stream().map(p -> new Provider(UUID.fromString(p.id()), p.name(), p.type(),
        p.baseUrl(), providerKeys.get(p.id()), p.settings(), p.timeouts(), storedBreaker(p.breaker()), now, now))
        .toList());
    routes.replaceAll(s.routes().stream().map(r -> new Route(UUID.fromString(r.id()), r.model(),
        targets(r.targets(), providerIdByName), targets(r.fallbacks(), providerIdByName), r.retry(), r.strategy(),
        r.isSticky(), now, now))
        .toList());

    // Teams that did not exist then go first, with all their keys (none of which the snapshot has), so that a name
    // they took since is free again.
    List<UUID> goneTeams = teams.findIdsExcept(s.teams().stream().map(t -> UUID.fromString(t.id())).toList());
    int revokedWithTeams = keys.deleteAllOfTeams(goneTeams);
    teams.deleteAll(goneTeams);
    // Description and metadata, which nodes never see, keep their current values.
    teams.upsertAll(s.teams().stream().map(t -> new Team(UUID.fromString(t.id()), t.name(), null, t.budget(),
        t.rateLimit(), t.cache(), t.logging(), Map.of(), now, now)).toList());

    int revokedKeys = keys.replaceActive(s.virtualKeys().stream().map(k -> virtualKey(k, now)).toList(), now,
        "restore");

    Map<String, UUID> routeIdByModel = new HashMap<>();
    s.routes().forEach(r -> routeIdByModel.put(r.model(), UUID.fromString(r.id())));
    rules.replaceAll(s.routingRules().stream().map(r -> new RoutingRule(UUID.fromString(r.id()), r.name(),
        r.priority(), r.teamId() == null ? null : UUID.fromString(r.teamId()), r.keyMetadata(), r.headers(),
        r.modelPattern(), routeIdByModel.get(r.route()), r.route(), now, now)).toList());

    restorePrices(s, providerIdByName);

    organizations.rename(org, s.organization().name());
    limits.putBudget(Scope.ORG, org, s.organization().budget());
    limits.putRateLimit(Scope.ORG, org, s.organization().rateLimit());

    versions.markRestoredFrom(version);
    long next = versions.bump();
    Result result = new Result(next, version, s.teams().size(), s.providers().size(), s.routes().size(),
        s.virtualKeys().size(), revokedKeys + revokedWithTeams, goneTeams.size());
    Map<String, Object> after = new LinkedHashMap<>();
    after.put("restored_from", version);
    after.put("teams", result.teams());
    after.put("providers", result.providers());
    after.put("routes", result.routes());
    after.put("routing_rules", s.routingRules().size());
    after.put("active_keys", result.activeKeys());
    after.put("revoked_keys", result.revokedKeys());
    after.put("deleted_teams", result.deletedTeams());
    audit.record("snapshot.restore", "snapshot", version, Map.of("version", before), after, next);
    return result;
  }

  /** The defaults are stored as no breaker, as a provider that never had one. */
  private static BreakerConfig storedBreaker(BreakerConfig breaker) {
    return BreakerConfig.DEFAULTS.equals(breaker) ? null : breaker;
  }

  private static VirtualKey virtualKey(VirtualKeyConfig k, Instant now) {
    return new VirtualKey(UUID.fromString(k.id()), k.name(), UUID.fromString(k.teamId()), k.keyHash(), k.keyPrefix(),
        k.models(), k.budget(), k.rateLimit(), k.cache(), k.logging(), k.expiresAt(), VirtualKey.Status.ACTIVE,
        new HashMap<>(k.metadata()), null,
        now, now, null);
  }

  /** An override wherever the snapshot's effective price is not the built-in price of the provider's type. */
  private void restorePrices(SnapshotConfig s, Map<String, UUID> providerIdByName) {
    prices.deleteAllOverrides();
    Map<String, BuiltinPrice> builtins = new HashMap<>();
    prices.builtins().forEach(b -> builtins.put(b.providerType() + "\n" + b.model(), b));
    Map<String, String> typeByName = new HashMap<>();
    s.providers().forEach(p -> typeByName.put(p.name(), p.type().wireName()));
    for (PriceConfig price : s.prices()) {
      BuiltinPrice builtin = builtins.get(typeByName.get(price.provider()) + "\n" + price.model());
      boolean same = builtin != null && builtin.inputPerMtokUsd().compareTo(price.inputPerMtokUsd()) == 0
          && builtin.outputPerMtokUsd().compareTo(price.outputPerMtokUsd()) == 0
          && (builtin.cachedInputPerMtokUsd() == null ? price.cachedInputPerMtokUsd() == null
              : price.cachedInputPerMtokUsd() != null
                  && builtin.cachedInputPerMtokUsd().compareTo(price.cachedInputPerMtokUsd()) == 0);
      if (!same) {
        prices.putOverride(providerIdByName.get(price.provider()), price.model(), price.inputPerMtokUsd(),
            price.outputPerMtokUsd(), price.cachedInputPerMtokUsd());
      }
    }
  }

  private static List<Route.Target> targets(List<RouteTargetConfig> targets, Map<String, UUID> providerIdByName) {
    return targets.stream().map(t -> new Route.Target(providerIdByName.get(t.provider()), t.provider(), t.model(),
        t.weight())).toList();
  }
}
