package dev.spillway.controlplane.provider;

import dev.spillway.config.BreakerConfig;
import dev.spillway.config.ProviderType;
import dev.spillway.config.TimeoutsConfig;
import dev.spillway.controlplane.common.Organization;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

@Repository
class JdbcProviderRepository implements ProviderRepository {
  private static final String COLUMNS = "id, name, type, base_url, settings, timeouts, breaker, created_at, updated_at";

  private final JdbcClient jdbc;
  private final JsonMapper json;

  JdbcProviderRepository(JdbcClient jdbc, JsonMapper json) {
    this.jdbc = jdbc;
    this.json = json;
  }

  @Override
  public Optional<Provider> findById(UUID id) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM providers WHERE id = ?").param(id)
        .query((rs, i) -> map(rs, keysOf(List.of(id)).getOrDefault(id, List.of()))).optional();
  }

  @Override
  public Optional<Provider> findByName(String name) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM providers WHERE org_id = ? AND name = ?")
        .params(Organization.DEFAULT_ID, name).query((rs, i) -> map(rs, List.of())).optional()
        .map(p -> withKeys(p, keysOf(List.of(p.id())).getOrDefault(p.id(), List.of())));
  }

  @Override
  public List<Provider> findAll() {
    List<Provider> bare = jdbc.sql("SELECT " + COLUMNS + " FROM providers WHERE org_id = ? ORDER BY name")
        .param(Organization.DEFAULT_ID).query((rs, i) -> map(rs, List.of())).list();
    Map<UUID, List<ProviderKey>> keys = keysOf(bare.stream().map(Provider::id).toList());
    return bare.stream().map(p -> withKeys(p, keys.getOrDefault(p.id(), List.of()))).toList();
  }

  @Override
  public void save(Provider p) {
    jdbc.sql("""
        INSERT INTO providers (id, org_id, name, type, base_url, settings, timeouts, breaker, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type, base_url = excluded.base_url,
            settings = excluded.settings, timeouts = excluded.timeouts, breaker = excluded.breaker,
            updated_at = excluded.updated_at""")
        .params(p.id(), Organization.DEFAULT_ID, p.name(), p.type().wireName(), p.baseUrl(),
            json.writeValueAsString(p.settings()), p.timeouts() == null ? null : json.writeValueAsString(p.timeouts()),
            p.breaker() == null ? null : json.writeValueAsString(p.breaker()),
            Timestamp.from(p.createdAt()), Timestamp.from(p.updatedAt()))
        .update();
    jdbc.sql("DELETE FROM provider_keys WHERE provider_id = ?").param(p.id()).update();
    for (ProviderKey key : p.keys()) {
      jdbc.sql("""
          INSERT INTO provider_keys (id, provider_id, name, weight, value_sealed, value_last4)
          VALUES (?, ?, ?, ?, ?, ?)""")
          .params(UUID.randomUUID(), p.id(), key.name(), key.weight(), key.valueSealed(), key.valueHint())
          .update();
    }
  }

  @Override
  public void delete(UUID id) {
    jdbc.sql("DELETE FROM providers WHERE id = ?").param(id).update();
  }

  @Override
  public void replaceAll(List<Provider> all) {
    UUID[] ids = all.stream().map(Provider::id).toArray(UUID[]::new);
    jdbc.sql("DELETE FROM providers WHERE org_id = ? AND NOT (id = ANY(?))").params(Organization.DEFAULT_ID, ids)
        .update();
    // Park the names first: a provider may take the name another one of them has now.
    jdbc.sql("UPDATE providers SET name = 'restore-' || replace(id::text, '-', '') WHERE id = ANY(?)").param(ids)
        .update();
    all.forEach(this::save);
  }

  @Override
  public List<String> routesUsing(UUID providerId) {
    return jdbc.sql("""
        SELECT DISTINCT r.model FROM route_targets t JOIN routes r ON r.id = t.route_id
        WHERE t.provider_id = ? ORDER BY r.model""").param(providerId).query(String.class).list();
  }

  @Override
  public List<String> modelsRoutedTo(UUID providerId) {
    return jdbc.sql("""
        SELECT t.model FROM route_targets t JOIN routes r ON r.id = t.route_id
        WHERE r.org_id = ? AND t.provider_id = ?""").params(Organization.DEFAULT_ID, providerId)
        .query(String.class).list();
  }

  private Map<UUID, List<ProviderKey>> keysOf(List<UUID> providerIds) {
    Map<UUID, List<ProviderKey>> keys = new HashMap<>();
    if (providerIds.isEmpty()) {
      return keys;
    }
    jdbc.sql("SELECT provider_id, name, weight, value_sealed, value_last4 FROM provider_keys "
            + "WHERE provider_id = ANY(?) ORDER BY name")
        .param(providerIds.toArray(UUID[]::new))
        .query(rs -> {
          keys.computeIfAbsent(rs.getObject("provider_id", UUID.class), k -> new ArrayList<>())
              .add(new ProviderKey(rs.getString("name"), rs.getInt("weight"), rs.getString("value_sealed"),
                  rs.getString("value_last4")));
        });
    return keys;
  }

  private static Provider withKeys(Provider p, List<ProviderKey> keys) {
    return new Provider(p.id(), p.name(), p.type(), p.baseUrl(), keys, p.settings(), p.timeouts(), p.breaker(),
        p.createdAt(), p.updatedAt());
  }

  private Provider map(ResultSet rs, List<ProviderKey> keys) throws SQLException {
    String settings = rs.getString("settings");
    String timeouts = rs.getString("timeouts");
    String breaker = rs.getString("breaker");
    return new Provider(rs.getObject("id", UUID.class), rs.getString("name"),
        ProviderType.find(rs.getString("type")).orElseThrow(), rs.getString("base_url"), keys,
        settings == null ? Map.of() : json.readValue(settings, new TypeReference<Map<String, String>>() {}),
        timeouts == null ? null : json.readValue(timeouts, TimeoutsConfig.class),
        breaker == null ? null : json.readValue(breaker, BreakerConfig.class),
        rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("updated_at").toInstant());
  }
}
