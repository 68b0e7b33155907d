package dev.spillway.controlplane.node;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The fleet table: one row per node, refreshed by each poll and heartbeat. */
@Component
public class NodeRegistry {
  private final JdbcClient jdbc;

  public NodeRegistry(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /** From a poll: everything the headers said. */
  public void report(NodeReport report) {
    upsert(report, false);
  }

  /** From a heartbeat: also the uptime and the heartbeat time. */
  public void heartbeat(NodeReport report) {
    upsert(report, true);
  }

  private void upsert(NodeReport report, boolean heartbeat) {
    jdbc.sql("""
        INSERT INTO data_plane_nodes (node_id, address, software_version, applied_version, applied_hash, last_error,
                                      started_at, uptime_seconds, last_heartbeat, first_seen, last_seen)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? THEN now() END, now(), now())
        ON CONFLICT (node_id) DO UPDATE SET address = excluded.address,
            software_version = COALESCE(excluded.software_version, data_plane_nodes.software_version),
            applied_version = excluded.applied_version, applied_hash = excluded.applied_hash,
            last_error = excluded.last_error,
            started_at = COALESCE(excluded.started_at, data_plane_nodes.started_at),
            uptime_seconds = COALESCE(excluded.uptime_seconds, data_plane_nodes.uptime_seconds),
            last_heartbeat = COALESCE(excluded.last_heartbeat, data_plane_nodes.last_heartbeat),
            last_seen = now()""")
        .params(report.nodeId(), report.address(), report.softwareVersion(), report.appliedVersion(),
            report.appliedHash(), report.lastError(),
            report.startedAt() == null ? null : Timestamp.from(report.startedAt()), report.uptimeSeconds(), heartbeat)
        .update();
  }

  public record NodeRow(String nodeId, String address, String softwareVersion, Long appliedVersion,
      String appliedHash, String lastError, Instant startedAt, Instant lastSeen, Long uptimeSeconds,
      Instant lastHeartbeat, Instant firstSeen) {}

  private static final String COLUMNS = "node_id, address, software_version, applied_version, applied_hash, "
      + "last_error, started_at, last_seen, uptime_seconds, last_heartbeat, first_seen";

  public List<NodeRow> all() {
    return jdbc.sql("SELECT " + COLUMNS + " FROM data_plane_nodes ORDER BY node_id").query((rs, i) -> row(rs)).list();
  }

  public Optional<NodeRow> find(String nodeId) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM data_plane_nodes WHERE node_id = ?").param(nodeId)
        .query((rs, i) -> row(rs)).optional();
  }

  /** Replaces what the node last reported about its targets (a JSON array of {@link TargetSample}). */
  public void recordTargetHealth(String nodeId, String samplesJson) {
    jdbc.sql("UPDATE data_plane_nodes SET target_health = ?::jsonb, target_health_at = now() WHERE node_id = ?")
        .params(samplesJson, nodeId).update();
  }

  /** A node's last target report and when it came. */
  public record HealthRow(String nodeId, Instant reportedAt, String samples) {}

  /** The target reports of the nodes heard from since {@code liveSince}, reported or not. */
  public List<HealthRow> targetHealthSince(Instant liveSince) {
    return jdbc.sql("SELECT node_id, target_health_at, target_health FROM data_plane_nodes WHERE last_seen >= ?")
        .param(Timestamp.from(liveSince))
        .query((rs, i) -> new HealthRow(rs.getString(1), instant(rs.getTimestamp(2)), rs.getString(3))).list();
  }

  public boolean delete(String nodeId) {
    return jdbc.sql("DELETE FROM data_plane_nodes WHERE node_id = ?").param(nodeId).update() > 0;
  }

  private static NodeRow row(java.sql.ResultSet rs) throws java.sql.SQLException {
    return new NodeRow(rs.getString(1), rs.getString(2), rs.getString(3), (Long) rs.getObject(4), rs.getString(5),
        rs.getString(6), instant(rs.getTimestamp(7)), rs.getTimestamp(8).toInstant(), (Long) rs.getObject(9),
        instant(rs.getTimestamp(10)), instant(rs.getTimestamp(11)));
  }

  private static Instant instant(Timestamp ts) {
    return ts == null ? null : ts.toInstant();
  }
}
