package dev.spillway.controlplane.routing;

import dev.spillway.config.RetryConfig;
import dev.spillway.config.RoutingStrategy;
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

@Repository
class JdbcRouteRepository implements RouteRepository {
  private static final String COLUMNS =
      "id, model, retry_max_attempts, retry_initial_backoff_ms, retry_max_backoff_ms, retry_max_retry_after_ms, "
          + "retry_deadline_ms, strategy, sticky, created_at, updated_at";

  private final JdbcClient jdbc;

  JdbcRouteRepository(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public Optional<Route> findById(UUID id) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM routes WHERE id = ?").param(id).query(this::bare).optional()
        .map(this::withTargets);
  }

  @Override
  public Optional<Route> findByModel(String model) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM routes WHERE org_id = ? AND model = ?")
        .params(Organization.DEFAULT_ID, model).query(this::bare).optional().map(this::withTargets);
  }

  @Override
  public List<Route> findAll() {
    Map<UUID, List<TargetRow>> targets = new HashMap<>();
    jdbc.sql("""
        SELECT t.route_id, t.kind, t.position, t.provider_id, p.name AS provider_name, t.model, t.weight
        FROM route_targets t JOIN providers p ON p.id = t.provider_id
        ORDER BY t.route_id, t.kind, t.position""")
        .query(rs -> {
          targets.computeIfAbsent(rs.getObject("route_id", UUID.class), k -> new ArrayList<>()).add(targetRow(rs));
        });
    return jdbc.sql("SELECT " + COLUMNS + " FROM routes WHERE org_id = ? ORDER BY model")
        .param(Organization.DEFAULT_ID).query(this::bare).list().stream()
        .map(r -> assemble(r, targets.getOrDefault(r.id(), List.of())))
        .toList();
  }

  @Override
  public void save(Route route) {
    jdbc.sql("""
        INSERT INTO routes (id, org_id, model, retry_max_attempts, retry_initial_backoff_ms, retry_max_backoff_ms,
                            retry_max_retry_after_ms, retry_deadline_ms, strategy, sticky, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET model = excluded.model, retry_max_attempts = excluded.retry_max_attempts,
            retry_initial_backoff_ms = excluded.retry_initial_backoff_ms,
            retry_max_backoff_ms = excluded.retry_max_backoff_ms,
            retry_max_retry_after_ms = excluded.retry_max_retry_after_ms,
            retry_deadline_ms = excluded.retry_deadline_ms, strategy = excluded.strategy, sticky = excluded.sticky,
            updated_at = excluded.updated_at""")
        .params(route.id(), Organization.DEFAULT_ID, route.model(), route.retry().maxAttempts(),
            (int) route.retry().initialBackoffMs(), route.retry().maxBackoffMs().intValue(),
            route.retry().maxRetryAfterMs().intValue(), route.retry().deadlineMs().intValue(), route.strategy().wireName(),
            route.sticky(), Timestamp.from(route.createdAt()), Timestamp.from(route.updatedAt()))
        .update();
    jdbc.sql("DELETE FROM route_targets WHERE route_id = ?").param(route.id()).update();
    insertTargets(route.id(), "target", route.targets());
    insertTargets(route.id(), "fallback", route.fallbacks());
  }

  @Override
  public void delete(UUID id) {
    jdbc.sql("DELETE FROM routes WHERE id = ?").param(id).update();
  }

  @Override
  public void deleteAllTargets() {
    jdbc.sql("DELETE FROM route_targets t USING routes r WHERE r.id = t.route_id AND r.org_id = ?")
        .param(Organization.DEFAULT_ID).update();
  }

  @Override
  public void replaceAll(List<Route> all) {
    UUID[] ids = all.stream().map(Route::id).toArray(UUID[]::new);
    jdbc.sql("DELETE FROM routes WHERE org_id = ? AND NOT (id = ANY(?))").params(Organization.DEFAULT_ID, ids)
        .update();
    // Park the models first: a route may take the model another one of them has now.
    jdbc.sql("UPDATE routes SET model = 'restore-' || id::text WHERE id = ANY(?)").param(ids).update();
    all.forEach(this::save);
  }

  @Override
  public List<String> keysAllowing(String model, int limit) {
    return jdbc.sql("""
        SELECT t.name || '/' || k.name FROM virtual_keys k JOIN teams t ON t.id = k.team_id
        WHERE k.org_id = ? AND k.status = 'active' AND ? = ANY(k.models)
        ORDER BY t.name, k.name LIMIT ?""")
        .params(Organization.DEFAULT_ID, model, limit).query(String.class).list();
  }

  private void insertTargets(UUID routeId, String kind, List<Route.Target> targets) {
    for (int i = 0; i < targets.size(); i++) {
      Route.Target t = targets.get(i);
      jdbc.sql("INSERT INTO route_targets (route_id, kind, position, provider_id, model, weight) VALUES (?, ?, ?, ?, ?, ?)")
          .params(routeId, kind, i, t.providerId(), t.model(), t.weight()).update();
    }
  }

  private record TargetRow(String kind, Route.Target target) {}

  private static TargetRow targetRow(ResultSet rs) throws SQLException {
    return new TargetRow(rs.getString("kind"), new Route.Target(rs.getObject("provider_id", UUID.class),
        rs.getString("provider_name"), rs.getString("model"), rs.getInt("weight")));
  }

  private Route withTargets(Route bare) {
    List<TargetRow> rows = jdbc.sql("""
        SELECT t.kind, t.position, t.provider_id, p.name AS provider_name, t.model, t.weight
        FROM route_targets t JOIN providers p ON p.id = t.provider_id
        WHERE t.route_id = ? ORDER BY t.kind, t.position""")
        .param(bare.id()).query((rs, i) -> targetRow(rs)).list();
    return assemble(bare, rows);
  }

  private static Route assemble(Route bare, List<TargetRow> rows) {
    List<Route.Target> targets = rows.stream().filter(r -> r.kind().equals("target")).map(TargetRow::target).toList();
    List<Route.Target> fallbacks = rows.stream().filter(r -> r.kind().equals("fallback")).map(TargetRow::target)
        .toList();
    return new Route(bare.id(), bare.model(), targets, fallbacks, bare.retry(), bare.strategy(), bare.sticky(),
        bare.createdAt(), bare.updatedAt());
  }

  private Route bare(ResultSet rs, int row) throws SQLException {
    return new Route(rs.getObject("id", UUID.class), rs.getString("model"), List.of(), List.of(),
        new RetryConfig(rs.getInt("retry_max_attempts"), rs.getInt("retry_initial_backoff_ms"),
            (long) rs.getInt("retry_max_backoff_ms"), (long) rs.getInt("retry_max_retry_after_ms"),
            (long) rs.getInt("retry_deadline_ms")),
        RoutingStrategy.find(rs.getString("strategy")).orElseThrow(), rs.getBoolean("sticky"),
        rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("updated_at").toInstant());
  }
}
