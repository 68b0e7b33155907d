package dev.spillway.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.testsupport.TestDatabase;
import dev.spillway.testsupport.TestDatabases;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/** V012 removes the fleet rows whose ids cannot be a path segment, such as the percent-encoded ones polls left. */
class NodeIdCleanupMigrationIT {

  @Test
  void forgetsPercentEncodedAndOtherUnaddressableNodeIdsAndKeepsTheRest() throws SQLException {
    TestDatabase db = TestDatabases.create("node-ids");
    flyway(db, "11").migrate();
    List<String> ids = List.of("vm%3A28000", "vm:28000", "eu/1", "back\\slash", "semi;colon", "line\nbreak", ".",
        "..", "host.example:8000", "nœud ü+@[::1]:8000");
    try (Connection c = db.connect();
         PreparedStatement ps = c.prepareStatement("INSERT INTO data_plane_nodes (node_id) VALUES (?)")) {
      for (String id : ids) {
        ps.setString(1, id);
        ps.executeUpdate();
      }
    }

    flyway(db, "12").migrate();

    assertThat(nodeIds(db)).containsExactlyInAnyOrder("vm:28000", "host.example:8000", "nœud ü+@[::1]:8000");
  }

  private static Flyway flyway(TestDatabase db, String target) {
    return Flyway.configure().dataSource(db.jdbcUrl(), db.user(), db.password()).locations("classpath:db/migration")
        .target(target).load();
  }

  private static List<String> nodeIds(TestDatabase db) throws SQLException {
    List<String> ids = new ArrayList<>();
    try (Connection c = db.connect();
         ResultSet rs = c.createStatement().executeQuery("SELECT node_id FROM data_plane_nodes")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    return ids;
  }
}
