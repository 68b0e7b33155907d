package dev.spillway.controlplane.node.web;

import dev.spillway.controlplane.node.NodeRegistry;
import dev.spillway.controlplane.snapshot.PublishedSnapshot;
import dev.spillway.controlplane.snapshot.SnapshotPublisher;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
class NodeApiController {
  /** A node polls at least every long-poll timeout; three missed polls make it stale. */
  private static final Duration STALE_AFTER = Duration.ofSeconds(90);

  private final NodeRegistry nodes;
  private final SnapshotPublisher publisher;

  NodeApiController(NodeRegistry nodes, SnapshotPublisher publisher) {
    this.nodes = nodes;
    this.publisher = publisher;
  }

  record NodeView(String id, String address, String softwareVersion, Long appliedVersion, String appliedHash,
      Instant lastSeen, Instant startedAt, String lastError, String status) {}

  @GetMapping("/api/v1/nodes")
  Map<String, List<NodeView>> list() {
    Instant now = Instant.now();
    long current = publisher.current().map(PublishedSnapshot::version).orElse(0L);
    return Map.of("data", nodes.all().stream().map(n -> new NodeView(n.nodeId(), n.address(), n.softwareVersion(),
        n.appliedVersion(), n.appliedHash(), n.lastSeen(), n.startedAt(), n.lastError(),
        status(n, current, now))).toList());
  }

  private static String status(NodeRegistry.NodeRow n, long current, Instant now) {
    if (n.lastSeen().plus(STALE_AFTER).isBefore(now)) {
      return "stale";
    }
    if (n.lastError() != null && !n.lastError().isBlank()) {
      return "rejected";
    }
    if (n.appliedVersion() != null && n.appliedVersion() >= current) {
      return "in_sync";
    }
    return "behind";
  }
}
