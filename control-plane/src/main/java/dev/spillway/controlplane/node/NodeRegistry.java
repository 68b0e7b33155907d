package dev.spillway.controlplane.node;

import java.sql.Timestamp;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The fleet table: one row per node, refreshed by each poll. */
@Component
public class NodeRegistry {
  private final JdbcClient jdbc;

  public NodeRegistry(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  public void report(NodeReport report) {
    jdbc.sql("""
        INSERT INTO data_plane_nodes (node_id, address, software_version, applied_version, applied_hash, last_error,
                                      started_at, first_seen, last_seen)
        VALUES (?, ?, ?, ?, ?, ?, ?, now(), now())
        ON CONFLICT (node_id) DO UPDATE SET address = excluded.address, software_version = excluded.software_version,
            applied_version = excluded.applied_version, applied_hash = excluded.applied_hash,
            last_error = excluded.last_error, started_at = excluded.started_at, last_seen = now()""")
        .params(report.nodeId(), report.address(), report.softwareVersion(), report.appliedVersion(),
            report.appliedHash(), report.lastError(),
            report.startedAt() == null ? null : Timestamp.from(report.startedAt()))
        .update();
  }

  public record NodeRow(String nodeId, String address, String softwareVersion, Long appliedVersion,
      String appliedHash, String lastError, java.time.Instant startedAt, java.time.Instant lastSeen) {}

  public List<NodeRow> all() {
    return jdbc.sql("SELECT node_id, address, software_version, applied_version, applied_hash, last_error, "
            + "started_at, last_seen FROM data_plane_nodes ORDER BY node_id")
        .query((rs, i) -> new NodeRow(rs.getString(1), rs.getString(2), rs.getString(3),
            (Long) rs.getObject(4), rs.getString(5), rs.getString(6),
            rs.getTimestamp(7) == null ? null : rs.getTimestamp(7).toInstant(), rs.getTimestamp(8).toInstant()))
        .list();
  }
}
