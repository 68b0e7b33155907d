package dev.spillway.controlplane.snapshot;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.CacheConfig;
import dev.spillway.config.InvalidSnapshotException;
import dev.spillway.config.PriceConfig;
import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderKeyConfig;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.config.RouteConfig;
import dev.spillway.config.RouteTargetConfig;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.config.TeamConfig;
import dev.spillway.config.VirtualKeyConfig;
import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Organization;
import dev.spillway.controlplane.configversion.ConfigVersions;
import dev.spillway.controlplane.limits.LimitsRepository;
import dev.spillway.controlplane.limits.Scope;
import dev.spillway.controlplane.price.BuiltinPrice;
import dev.spillway.controlplane.price.PriceRepository;
import dev.spillway.controlplane.provider.Provider;
import dev.spillway.controlplane.provider.ProviderKey;
import dev.spillway.controlplane.provider.ProviderRepository;
import dev.spillway.controlplane.routing.Route;
import dev.spillway.controlplane.routing.RouteRepository;
import dev.spillway.controlplane.security.SecretCipher;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Restores the config of a stored snapshot version as a new version, so nodes move forward to it (they never go
 * back to an old version number).
 *
 * <p>What a restore brings back is what the snapshot holds, which is everything the nodes use:
 * <ul>
 *   <li>teams (name, cache, budget, rate limit) by id; teams created since are deleted together with their
 *       memberships, team-scoped API tokens and keys; description and metadata, which nodes never see, keep their current values;</li>
 *   <li>providers by id with their keys, opened from the node seal and sealed at rest again (this needs the same
 *       node token as when the snapshot was built); providers created since are deleted;</li>
 *   <li>routes by id; routes created since are deleted;</li>
 *   <li>virtual keys by id and hash: every key active at that version is active again with its settings then
 *       (a key revoked since comes back), and every key that was not active then is revoked (keys created since
 *       included); revoked keys stay listed;</li>
 *   <li>prices (an override is kept wherever the snapshot's price differs from the built-in one) and the
 *       organisation's name and limits.</li>
 * </ul>
 * Users, memberships of surviving teams and API tokens are not config and are left alone.
 */
@Service
public class SnapshotRestorer {
  /** What a restore changed. */
  public record Result(long version, long restoredFrom, int teams, int providers, int routes, int activeKeys,
      int revokedKeys, int deletedTeams) {}

  private final SnapshotHistory history;
  private final JdbcClient jdbc;
  private final JdbcTemplate template;
  private final ProviderRepository providers;
  private final RouteRepository routes;
  private final LimitsRepository limits;
  private final PriceRepository prices;
  private final SecretCipher cipher;
  private final ConfigVersions versions;
  private final AuditLog audit;
  private final JsonMapper json;
  private final SnapshotCodec codec = new SnapshotCodec();

  public SnapshotRestorer(SnapshotHistory history, JdbcClient jdbc, JdbcTemplate template,
      ProviderRepository providers, RouteRepository routes, LimitsRepository limits, PriceRepository prices,
      SecretCipher cipher, ConfigVersions versions, AuditLog audit, JsonMapper json) {
    this.history = history;
    this.jdbc = jdbc;
    this.template = template;
    this.providers = providers;
    this.routes = routes;
    this.limits = limits;
    this.prices = prices;
    this.cipher = cipher;
    this.versions = versions;
    this.audit = audit;
    this.json = json;
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
    Timestamp ts = Timestamp.from(now);
    UUID org = Organization.DEFAULT_ID;

    // Re-seal provider keys first: if the node token changed, nothing has been touched yet.
    Map<String, List<ProviderKey>> providerKeys = new HashMap<>();
    for (ProviderConfig p : s.providers()) {
      List<ProviderKey> keys = new ArrayList<>();
      for (ProviderKeyConfig k : p.keys()) {
        String context = Provider.sealContext(UUID.fromString(p.id()), k.name());
        try {
          SecretCipher.Resealed resealed = cipher.resealAtRestFromNodes(k.sealedValue(), context);
          keys.add(new ProviderKey(k.name(), k.weight(), resealed.sealedAtRest(), resealed.hint()));
        } catch (IllegalArgumentException e) {
          throw ApiException.conflict("version", "provider " + p.name() + " key " + k.name() + " of version "
              + version + " cannot be opened: SPILLWAY_NODE_TOKEN has changed since that snapshot was built");
        }
      }
      providerKeys.put(p.id(), keys);
    }

    UUID[] routeIds = ids(s.routes().stream().map(RouteConfig::id).toList());
    UUID[] providerIds = ids(s.providers().stream().map(ProviderConfig::id).toList());
    UUID[] teamIds = ids(s.teams().stream().map(TeamConfig::id).toList());

    // Routes and providers: remove what did not exist then, park names that may be taken, then write.
    jdbc.sql("DELETE FROM route_targets t USING routes r WHERE r.id = t.route_id AND r.org_id = ?").param(org).update();
    jdbc.sql("DELETE FROM routes WHERE org_id = ? AND NOT (id = ANY(?))").params(org, routeIds).update();
    jdbc.sql("DELETE FROM providers WHERE org_id = ? AND NOT (id = ANY(?))").params(org, providerIds).update();
    jdbc.sql("UPDATE providers SET name = 'restore-' || replace(id::text, '-', '') WHERE id = ANY(?)")
        .param(providerIds).update();
    jdbc.sql("UPDATE routes SET model = 'restore-' || id::text WHERE id = ANY(?)").param(routeIds).update();
    Map<String, UUID> providerIdByName = new HashMap<>();
    for (ProviderConfig p : s.providers()) {
      UUID id = UUID.fromString(p.id());
      providerIdByName.put(p.name(), id);
      Instant created = providers.findById(id).map(Provider::createdAt).orElse(now);
      providers.save(new Provider(id, p.name(), p.type(), p.baseUrl(), providerKeys.get(p.id()), p.settings(),
          p.timeouts(), created, now));
    }
    for (RouteConfig r : s.routes()) {
      UUID id = UUID.fromString(r.id());
      Instant created = routes.findById(id).map(Route::createdAt).orElse(now);
      routes.save(new Route(id, r.model(), targets(r.targets(), providerIdByName),
          targets(r.fallbacks(), providerIdByName), r.retry(), created, now));
    }

    // Teams that did not exist then go first, with all their keys (none of which the snapshot has), so that a name
    // they took since is free again.
    List<UUID> goneTeams = jdbc.sql("SELECT id FROM teams WHERE org_id = ? AND NOT (id = ANY(?))")
        .params(org, teamIds).query(UUID.class).list();
    int revokedWithTeams = 0;
    if (!goneTeams.isEmpty()) {
      UUID[] gone = goneTeams.toArray(UUID[]::new);
      revokedWithTeams = jdbc.sql("SELECT count(*) FROM virtual_keys WHERE team_id = ANY(?) AND status = 'active'")
          .param(gone).query(Integer.class).single();
      jdbc.sql("DELETE FROM budgets WHERE scope_type = 'key' AND scope_id IN "
          + "(SELECT id FROM virtual_keys WHERE team_id = ANY(?))").param(gone).update();
      jdbc.sql("DELETE FROM rate_limits WHERE scope_type = 'key' AND scope_id IN "
          + "(SELECT id FROM virtual_keys WHERE team_id = ANY(?))").param(gone).update();
      jdbc.sql("DELETE FROM virtual_keys WHERE team_id = ANY(?)").param(gone).update();
      jdbc.sql("DELETE FROM budgets WHERE scope_type = 'team' AND scope_id = ANY(?)").param(gone).update();
      jdbc.sql("DELETE FROM rate_limits WHERE scope_type = 'team' AND scope_id = ANY(?)").param(gone).update();
      jdbc.sql("DELETE FROM teams WHERE id = ANY(?)").param(gone).update();
    }

    // Teams: park names, then upsert (description and metadata of existing teams stay).
    jdbc.sql("UPDATE teams SET name = 'restore-' || id::text WHERE id = ANY(?)").param(teamIds).update();
    for (TeamConfig t : s.teams()) {
      UUID id = UUID.fromString(t.id());
      jdbc.sql("""
          INSERT INTO teams (id, org_id, name, cache, created_at, updated_at) VALUES (?, ?, ?, ?::jsonb, ?, ?)
          ON CONFLICT (id) DO UPDATE SET name = excluded.name, cache = excluded.cache,
              updated_at = excluded.updated_at""")
          .params(id, org, t.name(), cacheJson(t.cache()), ts, ts).update();
      limits.putBudget(Scope.TEAM, id, t.budget());
      limits.putRateLimit(Scope.TEAM, id, t.rateLimit());
    }

    int[] keyCounts = restoreKeys(s.virtualKeys(), org, ts);

    restorePrices(s, providerIdByName);

    jdbc.sql("UPDATE organizations SET name = ?, updated_at = now() WHERE id = ?")
        .params(s.organization().name(), org).update();
    limits.putBudget(Scope.ORG, org, s.organization().budget());
    limits.putRateLimit(Scope.ORG, org, s.organization().rateLimit());

    versions.markRestoredFrom(version);
    long next = versions.bump();
    Result result = new Result(next, version, s.teams().size(), s.providers().size(), s.routes().size(),
        keyCounts[0], keyCounts[1] + revokedWithTeams, goneTeams.size());
    Map<String, Object> after = new LinkedHashMap<>();
    after.put("restored_from", version);
    after.put("teams", result.teams());
    after.put("providers", result.providers());
    after.put("routes", result.routes());
    after.put("active_keys", result.activeKeys());
    after.put("revoked_keys", result.revokedKeys());
    after.put("deleted_teams", result.deletedTeams());
    audit.record("snapshot.restore", "snapshot", version, Map.of("version", before), after, next);
    return result;
  }

  /**
   * Keys go through a temporary table so that 100,000 of them cost a few set-based statements, not a few hundred
   * thousand single-row ones. Returns {active, newly revoked}.
   */
  private int[] restoreKeys(List<VirtualKeyConfig> keys, UUID org, Timestamp ts) {
    jdbc.sql("""
        CREATE TEMP TABLE restore_keys (
            id uuid PRIMARY KEY, team_id uuid, name text, key_hash text, key_prefix text, models text[],
            cache jsonb, expires_at timestamptz, limit_usd numeric, period text, rpm integer, tpm integer,
            max_concurrent integer) ON COMMIT DROP""").update();
    template.batchUpdate("""
        INSERT INTO restore_keys (id, team_id, name, key_hash, key_prefix, models, cache, expires_at, limit_usd,
                                  period, rpm, tpm, max_concurrent)
        VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?)""", keys, 1000, (ps, k) -> {
          BudgetConfig b = k.budget();
          RateLimitConfig r = k.rateLimit();
          ps.setObject(1, UUID.fromString(k.id()));
          ps.setObject(2, UUID.fromString(k.teamId()));
          ps.setString(3, k.name());
          ps.setString(4, k.keyHash());
          ps.setString(5, k.keyPrefix());
          ps.setArray(6, ps.getConnection().createArrayOf("text", k.models().toArray()));
          ps.setString(7, cacheJson(k.cache()));
          ps.setTimestamp(8, k.expiresAt() == null ? null : Timestamp.from(k.expiresAt()));
          ps.setBigDecimal(9, b == null ? null : b.limitUsd());
          ps.setString(10, b == null ? null : b.period().wireName());
          ps.setObject(11, r == null ? null : r.rpm(), java.sql.Types.INTEGER);
          ps.setObject(12, r == null ? null : r.tpm(), java.sql.Types.INTEGER);
          ps.setObject(13, r == null ? null : r.maxConcurrent(), java.sql.Types.INTEGER);
        });
    int revoked = jdbc.sql("""
        UPDATE virtual_keys k SET status = 'revoked', revoked_at = ?, updated_at = ?
        WHERE k.org_id = ? AND k.status = 'active' AND NOT EXISTS (SELECT 1 FROM restore_keys r WHERE r.id = k.id)""")
        .params(ts, ts, org).update();
    jdbc.sql("UPDATE virtual_keys k SET name = 'restore-' || k.id::text FROM restore_keys r WHERE r.id = k.id")
        .update();
    jdbc.sql("""
        INSERT INTO virtual_keys (id, org_id, team_id, name, key_hash, key_prefix, models, cache, status, expires_at,
                                  created_at, updated_at, created_by)
        SELECT r.id, ?, r.team_id, r.name, r.key_hash, r.key_prefix, r.models, r.cache, 'active', r.expires_at, ?, ?,
               'restore'
        FROM restore_keys r
        ON CONFLICT (id) DO UPDATE SET team_id = excluded.team_id, name = excluded.name,
            key_hash = excluded.key_hash, key_prefix = excluded.key_prefix, models = excluded.models,
            cache = excluded.cache, status = 'active', expires_at = excluded.expires_at, revoked_at = NULL,
            updated_at = excluded.updated_at""")
        .params(org, ts, ts).update();
    jdbc.sql("DELETE FROM budgets b USING restore_keys r WHERE b.scope_type = 'key' AND b.scope_id = r.id").update();
    jdbc.sql("DELETE FROM rate_limits l USING restore_keys r WHERE l.scope_type = 'key' AND l.scope_id = r.id")
        .update();
    jdbc.sql("INSERT INTO budgets (scope_type, scope_id, limit_usd, period) "
        + "SELECT 'key', id, limit_usd, period FROM restore_keys WHERE limit_usd IS NOT NULL").update();
    jdbc.sql("INSERT INTO rate_limits (scope_type, scope_id, rpm, tpm, max_concurrent) "
        + "SELECT 'key', id, rpm, tpm, max_concurrent FROM restore_keys "
        + "WHERE rpm IS NOT NULL OR tpm IS NOT NULL OR max_concurrent IS NOT NULL").update();
    jdbc.sql("DROP TABLE restore_keys").update();
    return new int[] {keys.size(), revoked};
  }

  /** An override wherever the snapshot's effective price is not the built-in price of the provider's type. */
  private void restorePrices(SnapshotConfig s, Map<String, UUID> providerIdByName) {
    jdbc.sql("DELETE FROM price_overrides o USING providers p WHERE p.id = o.provider_id AND p.org_id = ?")
        .param(Organization.DEFAULT_ID).update();
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

  private String cacheJson(CacheConfig cache) {
    return cache == null ? null : json.writeValueAsString(cache);
  }

  private static UUID[] ids(List<String> ids) {
    return ids.stream().map(UUID::fromString).toArray(UUID[]::new);
  }
}
