package dev.spillway.controlplane.snapshot;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.BudgetPeriod;
import dev.spillway.config.CacheConfig;
import dev.spillway.config.CacheMode;
import dev.spillway.config.ContentPolicy;
import dev.spillway.config.LoggingConfig;
import dev.spillway.config.OnUnreachable;
import dev.spillway.config.OrganizationConfig;
import dev.spillway.config.PriceConfig;
import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderKeyConfig;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.config.RouteConfig;
import dev.spillway.config.RouteTargetConfig;
import dev.spillway.config.RoutingRuleConfig;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.config.TeamConfig;
import dev.spillway.config.VirtualKeyConfig;
import dev.spillway.controlplane.cache.CacheInvalidationService;
import dev.spillway.controlplane.common.Organization;
import dev.spillway.controlplane.provider.Provider;
import dev.spillway.controlplane.provider.ProviderRepository;
import dev.spillway.controlplane.routing.Route;
import dev.spillway.controlplane.routing.RouteRepository;
import dev.spillway.controlplane.routing.RoutingRuleRepository;
import dev.spillway.controlplane.security.SecretCipher;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Isolation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Reads the whole config in one read-only REPEATABLE READ transaction, so the snapshot is exactly the state at
 * the version it carries, and re-seals provider keys for the nodes.
 *
 * <p>Built for 100,000 keys: teams and keys come from one streaming query each with their limits joined in SQL,
 * cache settings are taken apart by PostgreSQL's JSON operators, and allowed models arrive as one delimited string,
 * so no row is parsed as JSON or read as a JDBC array on the way.
 */
@Component
public class SnapshotAssembler {
  private static final int FETCH_SIZE = 5_000;
  /** Model names cannot contain control characters (the API refuses them), so one is a safe separator. */
  private static final String MODEL_SEPARATOR = "\u001f";
  /** Between metadata entries; a name and its value are separated by {@link #MODEL_SEPARATOR}. */
  private static final String ENTRY_SEPARATOR = "\u001e";

  /** A snapshot and, when its version was produced by a restore, the version it restored. */
  public record Assembled(SnapshotConfig config, Long restoredFrom) {}

  private final JdbcClient jdbc;
  private final ProviderRepository providers;
  private final RouteRepository routes;
  private final RoutingRuleRepository rules;
  private final SecretCipher cipher;
  private final CacheInvalidationService invalidations;

  public SnapshotAssembler(JdbcClient jdbc, ProviderRepository providers, RouteRepository routes,
      RoutingRuleRepository rules, SecretCipher cipher, CacheInvalidationService invalidations) {
    this.jdbc = jdbc;
    this.providers = providers;
    this.routes = routes;
    this.rules = rules;
    this.cipher = cipher;
    this.invalidations = invalidations;
  }

  @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
  public Assembled assemble() {
    record Version(long version, Instant changedAt, Long restoredFrom) {}
    Version version = jdbc.sql("SELECT version, changed_at, restored_from FROM config_version")
        .query((rs, i) -> new Version(rs.getLong(1), rs.getTimestamp(2).toInstant(), (Long) rs.getObject(3)))
        .single();
    OrganizationConfig org = jdbc.sql("""
        SELECT o.id, o.name, b.limit_usd, b.period, b.enforce AS budget_enforce, b.on_unreachable,
               r.rpm, r.tpm, r.max_concurrent, r.enforce AS rate_limit_enforce
        FROM organizations o
        LEFT JOIN budgets b ON b.scope_type = 'org' AND b.scope_id = o.id
        LEFT JOIN rate_limits r ON r.scope_type = 'org' AND r.scope_id = o.id
        WHERE o.id = ?""")
        .param(Organization.DEFAULT_ID)
        .query((rs, i) -> new OrganizationConfig(rs.getString("id"), rs.getString("name"), budget(rs), rateLimit(rs)))
        .single();

    List<TeamConfig> teamConfigs = new ArrayList<>();
    jdbc.sql("""
        SELECT t.id, t.name, t.cache->>'mode' AS cache_mode, (t.cache->>'threshold')::float8 AS cache_threshold,
               (t.cache->>'ttl_seconds')::int AS cache_ttl, (t.cache->>'shadow')::boolean AS cache_shadow,
               t.logging->>'content' AS logging_content, (t.logging->>'retention_days')::int AS logging_retention,
               CASE WHEN jsonb_typeof(t.logging->'redact') = 'array' THEN
                 (SELECT string_agg(p.pattern, E'\\x1f' ORDER BY p.n)
                  FROM jsonb_array_elements_text(t.logging->'redact') WITH ORDINALITY AS p(pattern, n)) END
                 AS logging_redact,
               b.limit_usd, b.period, b.enforce AS budget_enforce, b.on_unreachable,
               r.rpm, r.tpm, r.max_concurrent, r.enforce AS rate_limit_enforce
        FROM teams t
        LEFT JOIN budgets b ON b.scope_type = 'team' AND b.scope_id = t.id
        LEFT JOIN rate_limits r ON r.scope_type = 'team' AND r.scope_id = t.id
        WHERE t.org_id = ?""")
        .param(Organization.DEFAULT_ID).withFetchSize(FETCH_SIZE)
        .query(rs -> {
          teamConfigs.add(new TeamConfig(rs.getString("id"), rs.getString("name"), budget(rs), rateLimit(rs),
              cache(rs), logging(rs)));
        });

    List<VirtualKeyConfig> keyConfigs = new ArrayList<>(Math.max(16, activeKeyEstimate()));
    jdbc.sql("""
        SELECT k.id, k.name, k.team_id, k.key_hash, k.key_prefix,
               CASE WHEN cardinality(k.models) = 0 THEN NULL ELSE array_to_string(k.models, E'\\x1f') END AS models,
               k.cache->>'mode' AS cache_mode, (k.cache->>'threshold')::float8 AS cache_threshold,
               (k.cache->>'ttl_seconds')::int AS cache_ttl, (k.cache->>'shadow')::boolean AS cache_shadow,
               k.logging->>'content' AS logging_content, (k.logging->>'retention_days')::int AS logging_retention,
               CASE WHEN jsonb_typeof(k.logging->'redact') = 'array' THEN
                 (SELECT string_agg(p.pattern, E'\\x1f' ORDER BY p.n)
                  FROM jsonb_array_elements_text(k.logging->'redact') WITH ORDINALITY AS p(pattern, n)) END
                 AS logging_redact,
               k.expires_at,
               CASE WHEN k.metadata = '{}'::jsonb THEN NULL ELSE
                 (SELECT string_agg(e.key || E'\\x1f' || e.value, E'\\x1e') FROM jsonb_each_text(k.metadata) e
                  WHERE e.value IS NOT NULL AND e.key || e.value !~ '[\\x1e\\x1f]') END AS metadata,
               b.limit_usd, b.period, b.enforce AS budget_enforce, b.on_unreachable,
               r.rpm, r.tpm, r.max_concurrent, r.enforce AS rate_limit_enforce
        FROM virtual_keys k
        LEFT JOIN budgets b ON b.scope_type = 'key' AND b.scope_id = k.id
        LEFT JOIN rate_limits r ON r.scope_type = 'key' AND r.scope_id = k.id
        WHERE k.org_id = ? AND k.status = 'active'""")
        .param(Organization.DEFAULT_ID).withFetchSize(FETCH_SIZE)
        .query(rs -> {
          String models = rs.getString("models");
          Timestamp expires = rs.getTimestamp("expires_at");
          keyConfigs.add(new VirtualKeyConfig(rs.getString("id"), rs.getString("name"), rs.getString("team_id"),
              rs.getString("key_hash"), rs.getString("key_prefix"),
              models == null ? List.of() : Arrays.asList(models.split(MODEL_SEPARATOR)), budget(rs), rateLimit(rs),
              cache(rs), expires == null ? null : expires.toInstant(), metadata(rs.getString("metadata")),
              logging(rs)));
        });

    List<Provider> allProviders = providers.findAll();
    List<ProviderConfig> providerConfigs = allProviders.stream().map(this::providerConfig).toList();
    List<RouteConfig> routeConfigs = routes.findAll().stream().map(SnapshotAssembler::routeConfig).toList();
    List<RoutingRuleConfig> ruleConfigs = rules.findAll().stream()
        .map(r -> new RoutingRuleConfig(r.id().toString(), r.name(), r.priority(),
            r.teamId() == null ? null : r.teamId().toString(), r.keyMetadata(), r.headers(), r.modelPattern(),
            r.routeModel()))
        .toList();

    // Relative to the version's instant, not to now: every replica builds the same snapshot for a version.
    SnapshotConfig snapshot = new SnapshotConfig(SnapshotConfig.KIND_FULL, version.version(), version.changedAt(),
        org, teamConfigs, keyConfigs, providerConfigs, routeConfigs, prices(allProviders), ruleConfigs,
        invalidations.carriedAt(version.changedAt()));
    return new Assembled(snapshot, version.restoredFrom());
  }

  /** Sizes the key list up front; the planner's estimate is free and close enough. */
  private int activeKeyEstimate() {
    Long estimate = jdbc.sql("SELECT reltuples::bigint FROM pg_class WHERE relname = 'virtual_keys'")
        .query(Long.class).optional().orElse(0L);
    return (int) Math.min(Math.max(estimate, 0), 5_000_000);
  }

  /**
   * A key's metadata as text: the API takes string values only, and a value stored before that rule (a number, a
   * boolean) reaches the nodes as PostgreSQL's text of it ({@code jsonb_each_text}).
   */
  private static Map<String, String> metadata(String flattened) {
    if (flattened == null) {
      return Map.of();
    }
    Map<String, String> entries = new HashMap<>();
    for (String entry : flattened.split(ENTRY_SEPARATOR)) {
      int at = entry.indexOf(MODEL_SEPARATOR);
      entries.put(entry.substring(0, at), entry.substring(at + 1));
    }
    return entries;
  }

  private static BudgetConfig budget(ResultSet rs) throws SQLException {
    BigDecimal limit = rs.getBigDecimal("limit_usd");
    return limit == null ? null : new BudgetConfig(limit, BudgetPeriod.find(rs.getString("period")).orElseThrow(),
        rs.getBoolean("budget_enforce"), OnUnreachable.find(rs.getString("on_unreachable")).orElseThrow());
  }

  private static RateLimitConfig rateLimit(ResultSet rs) throws SQLException {
    Integer rpm = (Integer) rs.getObject("rpm");
    Integer tpm = (Integer) rs.getObject("tpm");
    Integer concurrent = (Integer) rs.getObject("max_concurrent");
    return rpm == null && tpm == null && concurrent == null ? null
        : new RateLimitConfig(rpm, tpm, concurrent, rs.getBoolean("rate_limit_enforce"));
  }

  /**
   * Request-log settings as PostgreSQL took them apart; the patterns arrive joined by a control character, which
   * the API refuses in a pattern.
   */
  private static LoggingConfig logging(ResultSet rs) throws SQLException {
    String content = rs.getString("logging_content");
    Object retention = rs.getObject("logging_retention");
    String redact = rs.getString("logging_redact");
    if (content == null && retention == null && redact == null) {
      return null;
    }
    return new LoggingConfig(content == null ? null : ContentPolicy.find(content).orElseThrow(
        () -> new IllegalStateException("unknown content policy " + content)),
        retention == null ? null : ((Number) retention).intValue(),
        redact == null ? null : Arrays.asList(redact.split(MODEL_SEPARATOR)));
  }

  private static CacheConfig cache(ResultSet rs) throws SQLException {
    String mode = rs.getString("cache_mode");
    if (mode == null) {
      return null;
    }
    Object threshold = rs.getObject("cache_threshold");
    Object ttl = rs.getObject("cache_ttl");
    return new CacheConfig(CacheMode.find(mode).orElseThrow(() -> new IllegalStateException("unknown cache mode "
        + mode)), threshold == null ? null : ((Number) threshold).doubleValue(),
        ttl == null ? null : ((Number) ttl).intValue(), rs.getBoolean("cache_shadow") ? true : null);
  }

  private ProviderConfig providerConfig(Provider p) {
    List<ProviderKeyConfig> sealed = p.keys().stream()
        .map(k -> new ProviderKeyConfig(k.name(), k.weight(),
            cipher.resealForNodes(k.valueSealed(), Provider.sealContext(p.id(), k.name()))))
        .toList();
    return new ProviderConfig(p.id().toString(), p.name(), p.type(), p.baseUrl(), sealed, p.settings(), p.timeouts(),
        p.breaker());
  }

  private static RouteConfig routeConfig(Route r) {
    return new RouteConfig(r.id().toString(), r.model(),
        r.targets().stream().map(t -> new RouteTargetConfig(t.providerName(), t.model(), t.weight())).toList(),
        r.fallbacks().stream().map(t -> new RouteTargetConfig(t.providerName(), t.model(), 0)).toList(),
        r.retry(), r.strategy(), r.sticky());
  }

  /** Built-in prices of each provider's type, overridden by the admin's prices for that provider. */
  private List<PriceConfig> prices(List<Provider> allProviders) {
    Map<String, List<PriceConfig>> builtinByType = new HashMap<>();
    jdbc.sql("SELECT provider_type, model, input_per_mtok_usd, output_per_mtok_usd, cached_input_per_mtok_usd "
            + "FROM builtin_prices")
        .query(rs -> {
          builtinByType.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
              .add(new PriceConfig("", rs.getString(2), rs.getBigDecimal(3), rs.getBigDecimal(4), rs.getBigDecimal(5)));
        });
    Map<String, PriceConfig> effective = new HashMap<>();
    for (Provider p : allProviders) {
      for (PriceConfig price : builtinByType.getOrDefault(p.type().wireName(), List.of())) {
        effective.put(p.name() + "\n" + price.model(), new PriceConfig(p.name(), price.model(),
            price.inputPerMtokUsd(), price.outputPerMtokUsd(), price.cachedInputPerMtokUsd()));
      }
    }
    jdbc.sql("""
        SELECT p.name, o.model, o.input_per_mtok_usd, o.output_per_mtok_usd, o.cached_input_per_mtok_usd
        FROM price_overrides o JOIN providers p ON p.id = o.provider_id""")
        .query(rs -> {
          effective.put(rs.getString(1) + "\n" + rs.getString(2), new PriceConfig(rs.getString(1), rs.getString(2),
              rs.getBigDecimal(3), rs.getBigDecimal(4), rs.getBigDecimal(5)));
        });
    return List.copyOf(effective.values());
  }
}
