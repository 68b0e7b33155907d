package dev.spillway.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.testsupport.TestDatabase;
import dev.spillway.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs every migration on an empty database and checks the schema the rest of Spillway relies on. */
class MigrationsIT {
  private static TestDatabase db;
  private static MigrateResult result;

  @BeforeAll
  static void migrate() {
    db = TestDatabases.create("migrations");
    result = Flyway.configure()
        .dataSource(db.jdbcUrl(), db.user(), db.password())
        .locations("classpath:db/migration")
        .load()
        .migrate();
  }

  @Test
  void appliesEveryMigrationOnAnEmptyDatabase() throws SQLException {
    assertThat(result.success).isTrue();
    assertThat(result.migrationsExecuted).isEqualTo(countMigrationFiles());
    assertThat(queryStrings("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        + "AND table_type = 'BASE TABLE'"))
        .contains("organizations", "users", "org_memberships", "team_memberships", "teams", "virtual_keys",
            "admin_api_tokens", "providers", "provider_keys", "routes", "route_targets", "builtin_prices",
            "price_overrides", "routing_rules", "budgets", "rate_limits", "budget_spend", "limit_counters", "limit_leases", "usage_hourly",
            "cache_entries", "config_version", "config_snapshots", "data_plane_nodes",
            "audit_events");
    assertThat(queryStrings("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"))
        .doesNotContain("budget_leases");
  }

  @Test
  void startsAtVersionOneWithTheDefaultOrganization() throws SQLException {
    assertThat(queryStrings("SELECT version::text FROM config_version")).containsExactly("1");
    assertThat(queryStrings("SELECT name FROM organizations")).containsExactly("default");
  }

  @Test
  void allowsOnlyOneConfigVersionRow() {
    assertThatThrownBy(() -> execute("INSERT INTO config_version (id, version) VALUES (false, 1)"))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("config_version_id_check");
  }

  @Test
  void partitionsUsageAndRequestLogsByMonth() throws SQLException {
    List<String> partitions = queryStrings("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        + "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname IN ('usage_events', 'request_logs')");
    String thisMonth = queryStrings("SELECT to_char(now(), 'YYYYMM')").get(0);

    assertThat(partitions).contains("usage_events_default", "request_logs_default", "usage_events_" + thisMonth,
        "request_logs_" + thisMonth);
  }

  @Test
  void keepsUsageEventsIdempotentByRequestId() throws SQLException {
    String insert = "INSERT INTO usage_events (request_id, occurred_at, org_id, endpoint, status_code) "
        + "VALUES ('req-1', '2026-11-25T10:00:00Z', '00000000-0000-0000-0000-000000000001', 'chat', 200) "
        + "ON CONFLICT DO NOTHING";
    execute(insert);
    execute(insert);

    assertThat(queryStrings("SELECT count(*)::text FROM usage_events WHERE request_id = 'req-1'"))
        .containsExactly("1");
  }

  @Test
  void recordsWhatTheUsagePipelineReportsWithDefaultsForOldRows() throws SQLException {
    execute("INSERT INTO usage_events (request_id, occurred_at, org_id, endpoint, status_code) "
        + "VALUES ('req-defaults', '2026-11-25T10:00:00Z', '00000000-0000-0000-0000-000000000001', 'chat', 200)");

    assertThat(queryStrings("SELECT concat_ws(',', reasoning_tokens, unpriced, usage_source, client_closed, "
        + "shadow_refusal) FROM usage_events WHERE request_id = 'req-defaults'")).containsExactly("0,f,f");
    assertThat(queryStrings("SELECT column_name || ' ' || data_type || ' ' || is_nullable || ' ' "
        + "|| coalesce(column_default, '') FROM information_schema.columns WHERE table_name = 'usage_hourly' "
        + "AND column_name IN ('unpriced_requests', 'shadow_refusals', 'reasoning_tokens') ORDER BY 1"))
        .containsExactly("reasoning_tokens bigint NO 0", "shadow_refusals bigint NO 0",
            "unpriced_requests bigint NO 0");
  }

  @Test
  void countsRefusalsInTheRollupsAndFiresEachBudgetAlertOncePerPeriodAndThreshold() throws SQLException {
    assertThat(queryStrings("SELECT column_name || ' ' || data_type || ' ' || is_nullable || ' ' "
        + "|| coalesce(column_default, '') FROM information_schema.columns WHERE table_name = 'usage_hourly' "
        + "AND column_name = 'refusals'")).containsExactly("refusals bigint NO 0");
    String insert = "INSERT INTO budget_alerts (id, scope_type, scope_id, scope_name, period, period_start, "
        + "threshold_percent, limit_usd, spent_usd, enforce, fired_at, delivery_state) VALUES (gen_random_uuid(), "
        + "'key', '6f1c1a52-0000-4000-8000-000000000001', 'ci', 'monthly', '2026-12-01T00:00:00Z', %d, 50, 40.12, "
        + "true, now(), 'none') ON CONFLICT (scope_type, scope_id, period_start, threshold_percent) DO NOTHING";

    execute(insert.formatted(80));
    execute(insert.formatted(80));
    execute(insert.formatted(100));

    assertThat(queryStrings("SELECT string_agg(threshold_percent::text, ',' ORDER BY threshold_percent) "
        + "FROM budget_alerts WHERE scope_id = '6f1c1a52-0000-4000-8000-000000000001'")).containsExactly("80,100");
    assertThatThrownBy(() -> execute(insert.formatted(90))).isInstanceOf(SQLException.class)
        .hasMessageContaining("budget_alerts_threshold_percent_check");
  }

  @Test
  void createsAMissingPartitionWithTheEventsThatWaitedForItInTheDefaultPartition() throws SQLException {
    String month = queryStrings("SELECT to_char(date_trunc('month', now()) + interval '4 months', 'YYYYMM')")
        .get(0);
    execute("INSERT INTO usage_events (request_id, occurred_at, org_id, endpoint, status_code) "
        + "VALUES ('req-ahead', date_trunc('month', now()) + interval '4 months 2 days', "
        + "'00000000-0000-0000-0000-000000000001', 'chat', 200)");
    assertThat(queryStrings("SELECT tableoid::regclass::text FROM usage_events WHERE request_id = 'req-ahead'"))
        .containsExactly("usage_events_default");

    execute("SELECT spillway_ensure_partitions(5)");

    assertThat(queryStrings("SELECT tableoid::regclass::text FROM usage_events WHERE request_id = 'req-ahead'"))
        .containsExactly("usage_events_" + month);
    assertThat(queryStrings("SELECT indexdef FROM pg_indexes WHERE tablename = 'usage_events_" + month + "'"))
        .anySatisfy(def -> assertThat(def).contains("UNIQUE", "(occurred_at, request_id)"));
  }

  @Test
  void findsNearestCacheEntriesThroughTheHnswIndex() throws SQLException {
    assertThat(queryStrings("SELECT indexdef FROM pg_indexes WHERE indexname = 'cache_entries_embedding_hnsw'"))
        .singleElement().asString().contains("USING hnsw", "vector_cosine_ops");

    UUID team = insertTeam("cache-team");
    insertCacheEntry(team, "near", unitVector(0));
    insertCacheEntry(team, "far", unitVector(200));

    try (Connection c = db.connect();
         PreparedStatement ps = c.prepareStatement("SELECT prompt_text, 1 - (embedding <=> ?::vector) AS similarity "
             + "FROM cache_entries WHERE team_id = ? ORDER BY embedding <=> ?::vector LIMIT 1")) {
      String query = unitVector(0);
      ps.setString(1, query);
      ps.setObject(2, team);
      ps.setString(3, query);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("near");
        assertThat(rs.getDouble(2)).isGreaterThan(0.999);
      }
    }
  }

  @Test
  void cacheInvalidationsNeedAnIdExceptForScopeAll() throws SQLException {
    String org = "'00000000-0000-0000-0000-000000000001'";
    execute("INSERT INTO cache_invalidations (org_id, scope, target_id, at) VALUES (" + org + ", 'all', NULL, now())");
    execute("INSERT INTO cache_invalidations (org_id, scope, target_id, at) VALUES (" + org + ", 'team', '"
        + UUID.randomUUID() + "', now())");

    assertThatThrownBy(() -> execute("INSERT INTO cache_invalidations (org_id, scope, target_id, at) VALUES (" + org
        + ", 'team', NULL, now())")).isInstanceOf(SQLException.class).hasMessageContaining("cache_invalidations_check");
    assertThatThrownBy(() -> execute("INSERT INTO cache_invalidations (org_id, scope, target_id, at) VALUES (" + org
        + ", 'all', '" + UUID.randomUUID() + "', now())")).isInstanceOf(SQLException.class)
        .hasMessageContaining("cache_invalidations_check");
    assertThatThrownBy(() -> execute("INSERT INTO cache_invalidations (org_id, scope, target_id, at) VALUES (" + org
        + ", 'model', '" + UUID.randomUUID() + "', now())")).isInstanceOf(SQLException.class)
        .hasMessageContaining("cache_invalidations_scope_check");
  }

  @Test
  void refusesToDeleteAProviderThatARouteStillUses() throws SQLException {
    UUID provider = UUID.randomUUID();
    UUID route = UUID.randomUUID();
    execute("INSERT INTO providers (id, org_id, name, type) VALUES ('" + provider
        + "', '00000000-0000-0000-0000-000000000001', 'used-provider', 'mock')");
    execute("INSERT INTO routes (id, org_id, model) VALUES ('" + route
        + "', '00000000-0000-0000-0000-000000000001', 'route-using-it')");
    execute("INSERT INTO route_targets (route_id, kind, position, provider_id, model) VALUES ('" + route
        + "', 'target', 0, '" + provider + "', 'echo')");

    assertThatThrownBy(() -> execute("DELETE FROM providers WHERE id = '" + provider + "'"))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("route_targets");
  }

  @Test
  void rejectsProviderNamesThatAreNotSlugsAndKeyHashesThatAreNotSha256() {
    assertThatThrownBy(() -> execute("INSERT INTO providers (id, org_id, name, type) VALUES ('" + UUID.randomUUID()
        + "', '00000000-0000-0000-0000-000000000001', 'Not A Slug', 'mock')"))
        .isInstanceOf(SQLException.class).hasMessageContaining("providers_name_check");
    assertThatThrownBy(() -> execute("INSERT INTO virtual_keys (id, org_id, team_id, name, key_hash, key_prefix) "
        + "VALUES ('" + UUID.randomUUID() + "', '00000000-0000-0000-0000-000000000001', '" + UUID.randomUUID()
        + "', 'k', 'plaintext-key', 'sk-sw-')"))
        .isInstanceOf(SQLException.class);
  }

  @Test
  void limitsWrittenWithoutAModeAreEnforcedAndFailClosed() throws SQLException {
    UUID scope = UUID.randomUUID();
    execute("INSERT INTO budgets (scope_type, scope_id, limit_usd, period) VALUES ('team', '" + scope
        + "', 10, 'monthly')");
    execute("INSERT INTO rate_limits (scope_type, scope_id, rpm) VALUES ('team', '" + scope + "', 60)");

    assertThat(queryStrings("SELECT enforce || ' ' || on_unreachable FROM budgets WHERE scope_id = '" + scope + "'"))
        .containsExactly("true fail_closed");
    assertThat(queryStrings("SELECT enforce::text FROM rate_limits WHERE scope_id = '" + scope + "'"))
        .containsExactly("true");
    assertThatThrownBy(() -> execute("UPDATE budgets SET on_unreachable = 'fail_sideways' WHERE scope_id = '"
        + scope + "'"))
        .isInstanceOf(SQLException.class).hasMessageContaining("budgets_on_unreachable_check");
  }

  @Test
  void routesDefaultToWeightedStickyAndRoutingRulesNeedAConditionAndKeepTheirRoute() throws SQLException {
    UUID route = UUID.randomUUID();
    execute("INSERT INTO routes (id, org_id, model) VALUES ('" + route
        + "', '00000000-0000-0000-0000-000000000001', 'ruled-route')");
    assertThat(queryStrings("SELECT strategy || ' ' || sticky || ' ' || retry_deadline_ms FROM routes WHERE id = '"
        + route + "'")).containsExactly("weighted true 0");
    assertThatThrownBy(() -> execute("UPDATE routes SET strategy = 'fastest' WHERE id = '" + route + "'"))
        .isInstanceOf(SQLException.class).hasMessageContaining("routes_strategy_check");

    assertThatThrownBy(() -> execute("INSERT INTO routing_rules (id, org_id, name, route_id) VALUES ('"
        + UUID.randomUUID() + "', '00000000-0000-0000-0000-000000000001', 'catch-all', '" + route + "')"))
        .isInstanceOf(SQLException.class).hasMessageContaining("routing_rules_condition");
    execute("INSERT INTO routing_rules (id, org_id, name, model_pattern, route_id) VALUES ('" + UUID.randomUUID()
        + "', '00000000-0000-0000-0000-000000000001', 'claude-to-ruled', 'claude-*', '" + route + "')");
    assertThatThrownBy(() -> execute("DELETE FROM routes WHERE id = '" + route + "'"))
        .isInstanceOf(SQLException.class).hasMessageContaining("routing_rules");
  }

  /** The migrations on the classpath; in this module they sit in target/classes, a plain directory. */
  private static int countMigrationFiles() {
    try {
      java.nio.file.Path dir = java.nio.file.Path.of(MigrationsIT.class.getClassLoader()
          .getResource("db/migration").toURI());
      try (var files = java.nio.file.Files.list(dir)) {
        return (int) files.filter(f -> f.getFileName().toString().matches("V\\d{3}__[a-z0-9_]+\\.sql")).count();
      }
    } catch (java.io.IOException | java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static UUID insertTeam(String name) throws SQLException {
    UUID id = UUID.randomUUID();
    execute("INSERT INTO teams (id, org_id, name) VALUES ('" + id + "', '00000000-0000-0000-0000-000000000001', '"
        + name + "')");
    return id;
  }

  private static void insertCacheEntry(UUID team, String prompt, String vector) throws SQLException {
    try (Connection c = db.connect();
         PreparedStatement ps = c.prepareStatement("INSERT INTO cache_entries (team_id, request_hash, context_hash, "
             + "model, embedding, prompt_text, response, response_kind, expires_at) "
             + "VALUES (?, ?, 'ctx', 'm', ?::vector, ?, '\\x00', 'openai-chat', now() + interval '1 hour')")) {
      ps.setObject(1, team);
      ps.setString(2, prompt);
      ps.setString(3, vector);
      ps.setString(4, prompt);
      ps.executeUpdate();
    }
  }

  private static String unitVector(int hot) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < 384; i++) {
      sb.append(i == 0 ? "" : ",").append(i == hot ? "1" : "0");
    }
    return sb.append(']').toString();
  }

  private static void execute(String sql) throws SQLException {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  private static List<String> queryStrings(String sql) throws SQLException {
    List<String> values = new ArrayList<>();
    try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        values.add(rs.getString(1));
      }
    }
    return values;
  }
}
