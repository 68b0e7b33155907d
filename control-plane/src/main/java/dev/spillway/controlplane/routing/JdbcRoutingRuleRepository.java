package dev.spillway.controlplane.routing;

import dev.spillway.controlplane.common.Organization;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

@Repository
class JdbcRoutingRuleRepository implements RoutingRuleRepository {
  private static final TypeReference<Map<String, String>> STRINGS = new TypeReference<>() {};
  private static final String SELECT = """
      SELECT r.id, r.name, r.priority, r.team_id, r.key_metadata, r.headers, r.model_pattern, r.route_id,
             t.model AS route_model, r.created_at, r.updated_at
      FROM routing_rules r JOIN routes t ON t.id = r.route_id
      """;

  private final JdbcClient jdbc;
  private final JsonMapper json;

  JdbcRoutingRuleRepository(JdbcClient jdbc, JsonMapper json) {
    this.jdbc = jdbc;
    this.json = json;
  }

  @Override
  public List<RoutingRule> findAll() {
    return jdbc.sql(SELECT + " WHERE r.org_id = ? ORDER BY r.priority, r.name").param(Organization.DEFAULT_ID)
        .query(this::map).list();
  }

  @Override
  public Optional<RoutingRule> findById(UUID id) {
    return jdbc.sql(SELECT + " WHERE r.id = ?").param(id).query(this::map).optional();
  }

  @Override
  public Optional<RoutingRule> findByName(String name) {
    return jdbc.sql(SELECT + " WHERE r.org_id = ? AND r.name = ?").params(Organization.DEFAULT_ID, name)
        .query(this::map).optional();
  }

  @Override
  public void save(RoutingRule rule) {
    jdbc.sql("""
        INSERT INTO routing_rules (id, org_id, name, priority, team_id, key_metadata, headers, model_pattern, route_id,
                                   created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, priority = excluded.priority, team_id = excluded.team_id,
            key_metadata = excluded.key_metadata, headers = excluded.headers, model_pattern = excluded.model_pattern,
            route_id = excluded.route_id, updated_at = excluded.updated_at""")
        .params(rule.id(), Organization.DEFAULT_ID, rule.name(), rule.priority(), rule.teamId(),
            json.writeValueAsString(rule.keyMetadata()), json.writeValueAsString(rule.headers()), rule.modelPattern(),
            rule.routeId(), Timestamp.from(rule.createdAt()), Timestamp.from(rule.updatedAt()))
        .update();
  }

  @Override
  public void delete(UUID id) {
    jdbc.sql("DELETE FROM routing_rules WHERE id = ?").param(id).update();
  }

  @Override
  public List<String> namesUsingRoute(UUID routeId) {
    return jdbc.sql("SELECT name FROM routing_rules WHERE route_id = ? ORDER BY name").param(routeId)
        .query(String.class).list();
  }

  @Override
  public boolean teamExists(UUID teamId) {
    return jdbc.sql("SELECT count(*) FROM teams WHERE org_id = ? AND id = ?").params(Organization.DEFAULT_ID, teamId)
        .query(Long.class).single() > 0;
  }

  @Override
  public void replaceAll(List<RoutingRule> rules) {
    jdbc.sql("DELETE FROM routing_rules WHERE org_id = ?").param(Organization.DEFAULT_ID).update();
    rules.forEach(this::save);
  }

  private RoutingRule map(ResultSet rs, int row) throws SQLException {
    return new RoutingRule(rs.getObject("id", UUID.class), rs.getString("name"), rs.getInt("priority"),
        rs.getObject("team_id", UUID.class), json.readValue(rs.getString("key_metadata"), STRINGS),
        json.readValue(rs.getString("headers"), STRINGS), rs.getString("model_pattern"),
        rs.getObject("route_id", UUID.class), rs.getString("route_model"), rs.getTimestamp("created_at").toInstant(),
        rs.getTimestamp("updated_at").toInstant());
  }
}
