package dev.spillway.controlplane.snapshot;

import dev.spillway.config.OrganizationConfig;
import dev.spillway.config.PriceConfig;
import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderKeyConfig;
import dev.spillway.config.RouteConfig;
import dev.spillway.config.RouteTargetConfig;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.config.TeamConfig;
import dev.spillway.config.VirtualKeyConfig;
import dev.spillway.controlplane.common.Organization;
import dev.spillway.controlplane.limits.LimitsRepository;
import dev.spillway.controlplane.limits.Scope;
import dev.spillway.controlplane.provider.Provider;
import dev.spillway.controlplane.provider.ProviderRepository;
import dev.spillway.controlplane.routing.Route;
import dev.spillway.controlplane.routing.RouteRepository;
import dev.spillway.controlplane.security.SecretCipher;
import dev.spillway.controlplane.team.TeamRepository;
import dev.spillway.controlplane.virtualkey.VirtualKeyRepository;
import java.time.Instant;
import java.util.ArrayList;
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
 */
@Component
public class SnapshotAssembler {
  private final JdbcClient jdbc;
  private final TeamRepository teams;
  private final VirtualKeyRepository keys;
  private final ProviderRepository providers;
  private final RouteRepository routes;
  private final LimitsRepository limits;
  private final SecretCipher cipher;

  public SnapshotAssembler(JdbcClient jdbc, TeamRepository teams, VirtualKeyRepository keys,
      ProviderRepository providers, RouteRepository routes, LimitsRepository limits, SecretCipher cipher) {
    this.jdbc = jdbc;
    this.teams = teams;
    this.keys = keys;
    this.providers = providers;
    this.routes = routes;
    this.limits = limits;
    this.cipher = cipher;
  }

  @Transactional(readOnly = true, isolation = Isolation.REPEATABLE_READ)
  public SnapshotConfig assemble() {
    record Version(long version, Instant changedAt) {}
    Version version = jdbc.sql("SELECT version, changed_at FROM config_version")
        .query((rs, i) -> new Version(rs.getLong(1), rs.getTimestamp(2).toInstant())).single();
    String orgName = jdbc.sql("SELECT name FROM organizations WHERE id = ?").param(Organization.DEFAULT_ID)
        .query(String.class).single();
    OrganizationConfig org = new OrganizationConfig(Organization.DEFAULT_ID.toString(), orgName,
        limits.findBudget(Scope.ORG, Organization.DEFAULT_ID).orElse(null),
        limits.findRateLimit(Scope.ORG, Organization.DEFAULT_ID).orElse(null));

    List<TeamConfig> teamConfigs = teams.findAll().stream()
        .map(t -> new TeamConfig(t.id().toString(), t.name(), t.budget(), t.rateLimit(), t.cache()))
        .toList();
    List<VirtualKeyConfig> keyConfigs = keys.findAllActive().stream()
        .map(k -> new VirtualKeyConfig(k.id().toString(), k.name(), k.teamId().toString(), k.keyHash(),
            k.keyPrefix(), k.models(), k.budget(), k.rateLimit(), k.cache(), k.expiresAt()))
        .toList();
    List<Provider> allProviders = providers.findAll();
    List<ProviderConfig> providerConfigs = allProviders.stream().map(this::providerConfig).toList();
    List<RouteConfig> routeConfigs = routes.findAll().stream().map(SnapshotAssembler::routeConfig).toList();

    return new SnapshotConfig(SnapshotConfig.KIND_FULL, version.version(), version.changedAt(), org, teamConfigs,
        keyConfigs, providerConfigs, routeConfigs, prices(allProviders));
  }

  private ProviderConfig providerConfig(Provider p) {
    List<ProviderKeyConfig> sealed = p.keys().stream()
        .map(k -> new ProviderKeyConfig(k.name(), k.weight(),
            cipher.resealForNodes(k.valueSealed(), Provider.sealContext(p.id(), k.name()))))
        .toList();
    return new ProviderConfig(p.id().toString(), p.name(), p.type(), p.baseUrl(), sealed, p.settings(), p.timeouts());
  }

  private static RouteConfig routeConfig(Route r) {
    return new RouteConfig(r.id().toString(), r.model(),
        r.targets().stream().map(t -> new RouteTargetConfig(t.providerName(), t.model(), t.weight())).toList(),
        r.fallbacks().stream().map(t -> new RouteTargetConfig(t.providerName(), t.model(), 0)).toList(),
        r.retry());
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
