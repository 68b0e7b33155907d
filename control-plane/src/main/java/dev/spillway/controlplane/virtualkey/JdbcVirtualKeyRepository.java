package dev.spillway.controlplane.virtualkey;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.CacheConfig;
import dev.spillway.config.LoggingConfig;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.controlplane.common.Organization;
import dev.spillway.controlplane.limits.LimitsRepository;
import dev.spillway.controlplane.limits.Scope;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

@Repository
class JdbcVirtualKeyRepository implements VirtualKeyRepository {
  private static final String COLUMNS = "id, name, team_id, key_hash, key_prefix, models, cache, logging, metadata, status, "
      + "expires_at, rotated_from, created_at, updated_at, revoked_at";
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private final JdbcClient jdbc;
  private final JdbcTemplate template;
  private final LimitsRepository limits;
  private final JsonMapper json;

  JdbcVirtualKeyRepository(JdbcClient jdbc, JdbcTemplate template, LimitsRepository limits, JsonMapper json) {
    this.jdbc = jdbc;
    this.template = template;
    this.limits = limits;
    this.json = json;
  }

  @Override
  public Optional<VirtualKey> findById(UUID id) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM virtual_keys WHERE id = ?").param(id)
        .query((rs, i) -> map(rs, limits.findBudget(Scope.KEY, id).orElse(null),
            limits.findRateLimit(Scope.KEY, id).orElse(null)))
        .optional();
  }

  @Override
  public Optional<VirtualKey> findActiveByName(UUID teamId, String name) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM virtual_keys WHERE team_id = ? AND lower(name) = lower(?) "
            + "AND status = 'active'")
        .params(teamId, name).query((rs, i) -> map(rs, null, null)).optional()
        .map(k -> withLimits(k, limits.findBudget(Scope.KEY, k.id()).orElse(null),
            limits.findRateLimit(Scope.KEY, k.id()).orElse(null)));
  }

  @Override
  public List<VirtualKey> find(java.util.Collection<UUID> teamIds, VirtualKey.Status status, int limit,
      int offset) {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM virtual_keys WHERE org_id = ?");
    List<Object> params = new ArrayList<>(List.of(Organization.DEFAULT_ID));
    if (teamIds != null) {
      sql.append(" AND team_id = ANY(?)");
      params.add(teamIds.toArray(UUID[]::new));
    }
    if (status != null) {
      sql.append(" AND status = ?");
      params.add(status.wireName());
    }
    sql.append(" ORDER BY created_at DESC, id LIMIT ? OFFSET ?");
    params.add(limit);
    params.add(offset);
    List<VirtualKey> page = jdbc.sql(sql.toString()).params(params).query((rs, i) -> map(rs, null, null)).list();
    // Limits of this page only: reading every key's limits for a page of 100 would not scale to 100,000 keys.
    var ids = page.stream().map(VirtualKey::id).toList();
    var budgets = limits.budgetsOf(Scope.KEY, ids);
    var rateLimits = limits.rateLimitsOf(Scope.KEY, ids);
    return page.stream().map(k -> withLimits(k, budgets.get(k.id()), rateLimits.get(k.id()))).toList();
  }

  @Override
  public List<VirtualKey> search(Search search, int limit, int offset) {
    List<Object> params = new ArrayList<>();
    String where = where(search, params);
    String order = switch (search.sort() == null ? "" : search.sort()) {
      case "name" -> "lower(name)";
      case "status" -> "status";
      default -> "created_at";
    };
    String direction = search.descending() ? " DESC" : " ASC";
    params.add(limit);
    params.add(offset);
    List<VirtualKey> page = jdbc.sql("SELECT " + COLUMNS + " FROM virtual_keys WHERE " + where + " ORDER BY " + order
            + direction + ", id LIMIT ? OFFSET ?")
        .params(params).query((rs, i) -> map(rs, null, null)).list();
    var ids = page.stream().map(VirtualKey::id).toList();
    var budgets = limits.budgetsOf(Scope.KEY, ids);
    var rateLimits = limits.rateLimitsOf(Scope.KEY, ids);
    return page.stream().map(k -> withLimits(k, budgets.get(k.id()), rateLimits.get(k.id()))).toList();
  }

  @Override
  public int count(Search search) {
    List<Object> params = new ArrayList<>();
    String where = where(search, params);
    return jdbc.sql("SELECT count(*) FROM virtual_keys WHERE " + where).params(params).query(Integer.class).single();
  }

  private static String where(Search search, List<Object> params) {
    StringBuilder sql = new StringBuilder("org_id = ?");
    params.add(Organization.DEFAULT_ID);
    if (search.teamIds() != null) {
      sql.append(" AND team_id = ANY(?)");
      params.add(search.teamIds().toArray(UUID[]::new));
    }
    if (search.status() != null) {
      sql.append(" AND status = ?");
      params.add(search.status().wireName());
    }
    if (search.text() != null && !search.text().isBlank()) {
      String like = "%" + search.text().strip().toLowerCase(java.util.Locale.ROOT).replace("\\", "\\\\")
          .replace("%", "\\%").replace("_", "\\_") + "%";
      sql.append(" AND (lower(name) LIKE ? OR lower(key_prefix) LIKE ?)");
      params.add(like);
      params.add(like);
    }
    return sql.toString();
  }

  @Override
  public Optional<VirtualKey> findByHash(String keyHash) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM virtual_keys WHERE key_hash = ?").param(keyHash)
        .query((rs, i) -> map(rs, null, null)).optional()
        .map(k -> withLimits(k, limits.findBudget(Scope.KEY, k.id()).orElse(null),
            limits.findRateLimit(Scope.KEY, k.id()).orElse(null)));
  }

  @Override
  public void replaceSecret(UUID id, String keyHash, String keyPrefix, Instant at) {
    jdbc.sql("UPDATE virtual_keys SET key_hash = ?, key_prefix = ?, updated_at = ? WHERE id = ?")
        .params(keyHash, keyPrefix, timestamp(at), id).update();
  }

  private static VirtualKey withLimits(VirtualKey k, BudgetConfig budget, RateLimitConfig rateLimit) {
    return new VirtualKey(k.id(), k.name(), k.teamId(), k.keyHash(), k.keyPrefix(), k.models(), budget, rateLimit,
        k.cache(), k.logging(), k.expiresAt(), k.status(), k.metadata(), k.rotatedFrom(), k.createdAt(),
        k.updatedAt(), k.revokedAt());
  }

  @Override
  public void save(VirtualKey k) {
    jdbc.sql("""
        INSERT INTO virtual_keys (id, org_id, team_id, name, key_hash, key_prefix, models, cache, logging, metadata,
                                  status, expires_at, rotated_from, created_at, updated_at, revoked_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, models = excluded.models, cache = excluded.cache,
            logging = excluded.logging, metadata = excluded.metadata, status = excluded.status, expires_at = excluded.expires_at,
            updated_at = excluded.updated_at, revoked_at = excluded.revoked_at""")
        .params(k.id(), Organization.DEFAULT_ID, k.teamId(), k.name(), k.keyHash(), k.keyPrefix(),
            k.models().toArray(String[]::new), k.cache() == null ? null : json.writeValueAsString(k.cache()),
            jsonOrNull(k.logging()), json.writeValueAsString(k.metadata()), k.status().wireName(), timestamp(k.expiresAt()), k.rotatedFrom(),
            timestamp(k.createdAt()), timestamp(k.updatedAt()), timestamp(k.revokedAt()))
        .update();
    limits.putBudget(Scope.KEY, k.id(), k.budget());
    limits.putRateLimit(Scope.KEY, k.id(), k.rateLimit());
  }

  @Override
  public void revoke(UUID id, Instant at) {
    jdbc.sql("UPDATE virtual_keys SET status = 'revoked', revoked_at = ?, updated_at = ? WHERE id = ?")
        .params(timestamp(at), timestamp(at), id).update();
  }

  @Override
  public int deleteAllOfTeams(Collection<UUID> teamIds) {
    if (teamIds.isEmpty()) {
      return 0;
    }
    record Row(UUID id, boolean active) {}
    List<Row> rows = jdbc.sql("SELECT id, status = 'active' FROM virtual_keys WHERE team_id = ANY(?)")
        .param(teamIds.toArray(UUID[]::new)).query((rs, i) -> new Row(rs.getObject(1, UUID.class), rs.getBoolean(2)))
        .list();
    limits.deleteAll(Scope.KEY, rows.stream().map(Row::id).toList());
    jdbc.sql("DELETE FROM virtual_keys WHERE team_id = ANY(?)").param(teamIds.toArray(UUID[]::new)).update();
    return (int) rows.stream().filter(Row::active).count();
  }

  @Override
  public int replaceActive(List<VirtualKey> keys, Instant at, String createdBy) {
    Timestamp ts = Timestamp.from(at);
    // Keys go through a temporary table so that 100,000 of them cost a few set-based statements, not a few hundred
    // thousand single-row ones.
    jdbc.sql("""
        CREATE TEMP TABLE restore_keys (
            id uuid PRIMARY KEY, team_id uuid, name text, key_hash text, key_prefix text, models text[],
            cache jsonb, expires_at timestamptz, metadata jsonb, logging jsonb) ON COMMIT DROP""").update();
    template.batchUpdate("""
        INSERT INTO restore_keys (id, team_id, name, key_hash, key_prefix, models, cache, expires_at, metadata,
                                  logging)
        VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?::jsonb, ?::jsonb)""", keys, 1000, (ps, k) -> {
          ps.setObject(1, k.id());
          ps.setObject(2, k.teamId());
          ps.setString(3, k.name());
          ps.setString(4, k.keyHash());
          ps.setString(5, k.keyPrefix());
          ps.setArray(6, ps.getConnection().createArrayOf("text", k.models().toArray()));
          ps.setString(7, k.cache() == null ? null : json.writeValueAsString(k.cache()));
          ps.setTimestamp(8, timestamp(k.expiresAt()));
          ps.setString(9, json.writeValueAsString(k.metadata()));
          ps.setString(10, jsonOrNull(k.logging()));
        });
    int revoked = jdbc.sql("""
        UPDATE virtual_keys k SET status = 'revoked', revoked_at = ?, updated_at = ?
        WHERE k.org_id = ? AND k.status = 'active' AND NOT EXISTS (SELECT 1 FROM restore_keys r WHERE r.id = k.id)""")
        .params(ts, ts, Organization.DEFAULT_ID).update();
    jdbc.sql("UPDATE virtual_keys k SET name = 'restore-' || k.id::text FROM restore_keys r WHERE r.id = k.id")
        .update();
    jdbc.sql("""
        INSERT INTO virtual_keys (id, org_id, team_id, name, key_hash, key_prefix, models, cache, logging, status,
                                  expires_at, created_at, updated_at, created_by, metadata)
        SELECT r.id, ?, r.team_id, r.name, r.key_hash, r.key_prefix, r.models, r.cache, r.logging, 'active',
               r.expires_at, ?, ?, ?, r.metadata
        FROM restore_keys r
        ON CONFLICT (id) DO UPDATE SET team_id = excluded.team_id, name = excluded.name,
            key_hash = excluded.key_hash, key_prefix = excluded.key_prefix, models = excluded.models,
            cache = excluded.cache, logging = excluded.logging, status = 'active', expires_at = excluded.expires_at, revoked_at = NULL,
            updated_at = excluded.updated_at,
            -- Snapshots carry metadata as text; stored values that read the same (a number 5 for "5") stay as they are.
            metadata = CASE WHEN COALESCE((SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each_text(virtual_keys.metadata) e
                                           WHERE e.value IS NOT NULL), '{}'::jsonb) = excluded.metadata
                            THEN virtual_keys.metadata ELSE excluded.metadata END""")
        .params(Organization.DEFAULT_ID, ts, ts, createdBy).update();
    jdbc.sql("DROP TABLE restore_keys").update();
    Map<UUID, BudgetConfig> budgets = new HashMap<>();
    Map<UUID, RateLimitConfig> rateLimits = new HashMap<>();
    for (VirtualKey k : keys) {
      budgets.put(k.id(), k.budget());
      rateLimits.put(k.id(), k.rateLimit());
    }
    limits.putBudgets(Scope.KEY, budgets);
    limits.putRateLimits(Scope.KEY, rateLimits);
    return revoked;
  }

  private String jsonOrNull(LoggingConfig logging) {
    return logging == null ? null : json.writeValueAsString(logging);
  }

  private static Timestamp timestamp(Instant instant) {
    return instant == null ? null : Timestamp.from(instant);
  }

  private static Instant instant(Timestamp ts) {
    return ts == null ? null : ts.toInstant();
  }

  private VirtualKey map(ResultSet rs, BudgetConfig budget, RateLimitConfig rateLimit) throws SQLException {
    Array models = rs.getArray("models");
    String cache = rs.getString("cache");
    String logging = rs.getString("logging");
    String metadata = rs.getString("metadata");
    return new VirtualKey(rs.getObject("id", UUID.class), rs.getString("name"), rs.getObject("team_id", UUID.class),
        rs.getString("key_hash"), rs.getString("key_prefix"),
        models == null ? List.of() : Arrays.asList((String[]) models.getArray()), budget, rateLimit,
        cache == null ? null : json.readValue(cache, CacheConfig.class),
        logging == null ? null : json.readValue(logging, LoggingConfig.class),
        instant(rs.getTimestamp("expires_at")),
        VirtualKey.Status.valueOf(rs.getString("status").toUpperCase(java.util.Locale.ROOT)),
        metadata == null ? Map.of() : json.readValue(metadata, MAP), rs.getObject("rotated_from", UUID.class),
        instant(rs.getTimestamp("created_at")), instant(rs.getTimestamp("updated_at")),
        instant(rs.getTimestamp("revoked_at")));
  }
}
