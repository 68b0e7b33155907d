package dev.spillway.controlplane.node;

import dev.spillway.controlplane.SpillwayProperties;
import dev.spillway.controlplane.snapshot.PublishedSnapshot;
import dev.spillway.controlplane.snapshot.SnapshotPublisher;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * The fleet as the nodes' own polls and heartbeats describe it, with each node's status. Status, from worst:
 * {@code stale} (not heard from within {@code spillway.node-stale-after}), {@code rejected} (reports an error about
 * the last snapshot it was sent, or holds other bytes for the current version), {@code behind} (serves an older
 * version, or none yet), {@code in_sync}.
 */
@Component
public class Fleet {
  public record Member(NodeRegistry.NodeRow node, String status) {}

  private final NodeRegistry nodes;
  private final SnapshotPublisher publisher;
  private final Duration staleAfter;
  private final dev.spillway.controlplane.audit.AuditLog audit;

  public Fleet(NodeRegistry nodes, SnapshotPublisher publisher, SpillwayProperties props,
      dev.spillway.controlplane.audit.AuditLog audit) {
    this.nodes = nodes;
    this.audit = audit;
    this.publisher = publisher;
    this.staleAfter = props.nodeStaleAfter();
  }

  public List<Member> all() {
    Instant now = Instant.now();
    PublishedSnapshot current = publisher.current().orElse(null);
    return nodes.all().stream().map(n -> new Member(n, status(n, current, now))).toList();
  }

  public Optional<Member> find(String nodeId) {
    return nodes.find(nodeId).map(n -> new Member(n, status(n, publisher.current().orElse(null), Instant.now())));
  }

  /** Forgets a decommissioned node (audited); a node that is still running reappears with its next poll. */
  @org.springframework.transaction.annotation.Transactional
  public void forget(String nodeId) {
    NodeRegistry.NodeRow node = nodes.find(nodeId)
        .orElseThrow(() -> dev.spillway.controlplane.common.ApiException.notFound("node", nodeId));
    dev.spillway.controlplane.security.Authz.requireOrgAdmin();
    nodes.delete(nodeId);
    audit.record("node.delete", "node", nodeId, java.util.Map.of("address", String.valueOf(node.address()),
        "last_seen", node.lastSeen().toString()), null, null);
  }

  /** The version nodes should serve, or 0 before the first snapshot. */
  public long currentVersion() {
    return publisher.current().map(PublishedSnapshot::version).orElse(0L);
  }

  private String status(NodeRegistry.NodeRow n, PublishedSnapshot current, Instant now) {
    if (n.lastSeen().plus(staleAfter).isBefore(now)) {
      return "stale";
    }
    if (n.lastError() != null && !n.lastError().isBlank()) {
      return "rejected";
    }
    long version = current == null ? 0 : current.version();
    if (n.appliedVersion() == null || n.appliedVersion() < version) {
      return "behind";
    }
    // Same version, different bytes: the node holds something this control plane never published.
    if (current != null && n.appliedVersion() == version && n.appliedHash() != null
        && !n.appliedHash().equals(current.sha256())) {
      return "rejected";
    }
    return "in_sync";
  }
}
