package dev.spillway.controlplane.team;

import dev.spillway.config.CacheConfig;
import dev.spillway.config.LoggingConfig;
import dev.spillway.controlplane.common.Organization;
import dev.spillway.controlplane.limits.LimitsRepository;
import dev.spillway.controlplane.limits.Scope;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

@Repository
class JdbcTeamRepository implements TeamRepository {
  private static final String COLUMNS = "id, name, description, cache, logging, metadata, created_at, updated_at";

  private final JdbcClient jdbc;
  private final LimitsRepository limits;
  private final JsonMapper json;

  JdbcTeamRepository(JdbcClient jdbc, LimitsRepository limits, JsonMapper json) {
    this.jdbc = jdbc;
    this.limits = limits;
    this.json = json;
  }

  @Override
  public Optional<Team> findById(UUID id) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM teams WHERE id = ?").param(id).query(this::map).optional();
  }

  @Override
  public Optional<Team> findByName(String name) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM teams WHERE org_id = ? AND lower(name) = lower(?)")
        .params(Organization.DEFAULT_ID, name).query(this::map).optional();
  }

  @Override
  public List<Team> findAll() {
    var budgets = limits.allBudgets(Scope.TEAM);
    var rateLimits = limits.allRateLimits(Scope.TEAM);
    return jdbc.sql("SELECT " + COLUMNS + " FROM teams WHERE org_id = ? ORDER BY lower(name)")
        .param(Organization.DEFAULT_ID)
        .query((rs, i) -> {
          Team t = mapRow(rs);
          return new Team(t.id(), t.name(), t.description(), budgets.get(t.id()), rateLimits.get(t.id()), t.cache(),
              t.logging(), t.metadata(), t.createdAt(), t.updatedAt());
        })
        .list();
  }

  @Override
  public void save(Team team) {
    jdbc.sql("""
        INSERT INTO teams (id, org_id, name, description, cache, logging, metadata, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
            cache = excluded.cache, logging = excluded.logging, metadata = excluded.metadata,
            updated_at = excluded.updated_at""")
        .params(team.id(), Organization.DEFAULT_ID, team.name(), team.description(),
            team.cache() == null ? null : json.writeValueAsString(team.cache()), jsonOrNull(team.logging()),
            json.writeValueAsString(team.metadata()),
            Timestamp.from(team.createdAt()), Timestamp.from(team.updatedAt()))
        .update();
    limits.putBudget(Scope.TEAM, team.id(), team.budget());
    limits.putRateLimit(Scope.TEAM, team.id(), team.rateLimit());
  }

  @Override
  public void delete(UUID id) {
    jdbc.sql("DELETE FROM virtual_keys WHERE team_id = ? AND status = 'revoked'").param(id).update();
    jdbc.sql("DELETE FROM teams WHERE id = ?").param(id).update();
    limits.deleteAll(Scope.TEAM, id);
  }

  @Override
  public List<String> activeKeyNames(UUID teamId, int limit) {
    return jdbc.sql("SELECT name FROM virtual_keys WHERE team_id = ? AND status = 'active' ORDER BY name LIMIT ?")
        .params(teamId, limit).query(String.class).list();
  }

  @Override
  public List<UUID> findIdsExcept(Collection<UUID> ids) {
    return jdbc.sql("SELECT id FROM teams WHERE org_id = ? AND NOT (id = ANY(?))")
        .params(Organization.DEFAULT_ID, ids.toArray(UUID[]::new)).query(UUID.class).list();
  }

  @Override
  public void deleteAll(Collection<UUID> ids) {
    if (ids.isEmpty()) {
      return;
    }
    limits.deleteAll(Scope.TEAM, ids);
    jdbc.sql("DELETE FROM teams WHERE id = ANY(?)").param(ids.toArray(UUID[]::new)).update();
  }

  @Override
  public void upsertAll(List<Team> teams) {
    // Park the names first: a team may take the name another one of them has now.
    jdbc.sql("UPDATE teams SET name = 'restore-' || id::text WHERE id = ANY(?)")
        .param(teams.stream().map(Team::id).toArray(UUID[]::new)).update();
    for (Team team : teams) {
      jdbc.sql("""
          INSERT INTO teams (id, org_id, name, description, cache, logging, metadata, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?)
          ON CONFLICT (id) DO UPDATE SET name = excluded.name, cache = excluded.cache, logging = excluded.logging,
              updated_at = excluded.updated_at""")
          .params(team.id(), Organization.DEFAULT_ID, team.name(), team.description(),
              team.cache() == null ? null : json.writeValueAsString(team.cache()), jsonOrNull(team.logging()),
              json.writeValueAsString(team.metadata()), Timestamp.from(team.createdAt()),
              Timestamp.from(team.updatedAt()))
          .update();
      limits.putBudget(Scope.TEAM, team.id(), team.budget());
      limits.putRateLimit(Scope.TEAM, team.id(), team.rateLimit());
    }
  }

  private String jsonOrNull(LoggingConfig logging) {
    return logging == null ? null : json.writeValueAsString(logging);
  }

  private Team map(ResultSet rs, int row) throws SQLException {
    Team t = mapRow(rs);
    return new Team(t.id(), t.name(), t.description(), limits.findBudget(Scope.TEAM, t.id()).orElse(null),
        limits.findRateLimit(Scope.TEAM, t.id()).orElse(null), t.cache(), t.logging(), t.metadata(), t.createdAt(),
        t.updatedAt());
  }

  private Team mapRow(ResultSet rs) throws SQLException {
    String cache = rs.getString("cache");
    String logging = rs.getString("logging");
    String metadata = rs.getString("metadata");
    return new Team(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("description"), null, null,
        cache == null ? null : json.readValue(cache, CacheConfig.class),
        logging == null ? null : json.readValue(logging, LoggingConfig.class),
        metadata == null ? Map.of() : json.readValue(metadata, new TypeReference<Map<String, Object>>() {}),
        rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("updated_at").toInstant());
  }
}
