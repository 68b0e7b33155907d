package dev.spillway.controlplane.node.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.node.NodeIds;
import dev.spillway.controlplane.node.NodeRegistry;
import dev.spillway.controlplane.node.NodeReport;
import dev.spillway.controlplane.node.TargetHealth;
import dev.spillway.controlplane.node.TargetSample;
import dev.spillway.controlplane.snapshot.PublishedSnapshot;
import dev.spillway.controlplane.snapshot.SnapshotPublisher;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /internal/v1/nodes/heartbeat} (node token): a node's report between polls, so the fleet view stays
 * current while a long-poll is parked. Answers the version and hash this replica serves, so a node can tell at
 * once that it is behind.
 */
@RestController
class NodeHeartbeatController {
  private final NodeRegistry nodes;
  private final TargetHealth health;
  private final SnapshotPublisher publisher;

  NodeHeartbeatController(NodeRegistry nodes, TargetHealth health, SnapshotPublisher publisher) {
    this.nodes = nodes;
    this.health = health;
    this.publisher = publisher;
  }

  /** {@code targets} absent keeps the node's last target report (older nodes send none); present replaces it. */
  record Heartbeat(String nodeId, String address, String softwareVersion, Long appliedVersion, String appliedHash,
      String lastError, Long uptimeSeconds, List<TargetSample> targets) {}

  @PostMapping("/internal/v1/nodes/heartbeat")
  Map<String, Object> heartbeat(@RequestBody Heartbeat beat) {
    NodeIds.problem(beat.nodeId()).ifPresent(problem -> {
      throw ApiException.invalid("node_id", problem);
    });
    if (beat.appliedVersion() != null && beat.appliedVersion() < 0) {
      throw ApiException.invalid("applied_version", "must be >= 0");
    }
    if (beat.appliedHash() != null && !beat.appliedHash().matches("[0-9a-f]{64}")) {
      throw ApiException.invalid("applied_hash", "must be a lower-case hex SHA-256");
    }
    if (beat.uptimeSeconds() != null && beat.uptimeSeconds() < 0) {
      throw ApiException.invalid("uptime_seconds", "must be >= 0");
    }
    if (beat.targets() != null) {
      if (beat.targets().size() > TargetHealth.MAX_SAMPLES) {
        throw ApiException.invalid("targets", "has " + beat.targets().size() + " entries (at most "
            + TargetHealth.MAX_SAMPLES + ")");
      }
      for (int i = 0; i < beat.targets().size(); i++) {
        TargetSample sample = beat.targets().get(i);
        if (sample == null) {
          throw ApiException.invalid("targets[" + i + "]", "must be an object");
        }
        sample.validate("targets[" + i + "]");
      }
    }
    Instant startedAt = beat.uptimeSeconds() == null ? null : Instant.now().minusSeconds(beat.uptimeSeconds());
    nodes.heartbeat(new NodeReport(beat.nodeId(), limit(beat.address()), limit(beat.softwareVersion()),
        beat.appliedVersion(), beat.appliedHash(), limit(beat.lastError()), startedAt, beat.uptimeSeconds()));
    if (beat.targets() != null) {
      health.record(beat.nodeId(), beat.targets());
    }
    PublishedSnapshot current = publisher.current().orElse(null);
    Map<String, Object> body = new HashMap<>();
    body.put("current_version", current == null ? null : current.version());
    body.put("current_hash", current == null ? null : current.sha256());
    return body;
  }

  private static String limit(String value) {
    return value == null || value.length() <= 2000 ? value : value.substring(0, 2000);
  }
}
