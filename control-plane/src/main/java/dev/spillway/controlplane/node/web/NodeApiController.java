package dev.spillway.controlplane.node.web;

import dev.spillway.controlplane.SpillwayProperties;
import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.node.NodeRegistry;
import dev.spillway.controlplane.snapshot.PublishedSnapshot;
import dev.spillway.controlplane.snapshot.SnapshotPublisher;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /api/v1/nodes}: the fleet as the nodes' own polls and heartbeats describe it. Status, from worst:
 * {@code stale} (not heard from within {@code spillway.node-stale-after}), {@code rejected} (reports an error about
 * the last snapshot it was sent), {@code behind} (serves an older version, or none yet), {@code in_sync}.
 */
@RestController
class NodeApiController {
  private static final Set<String> STATUSES = Set.of("in_sync", "behind", "stale", "rejected");

  private final NodeRegistry nodes;
  private final SnapshotPublisher publisher;
  private final Duration staleAfter;
  private final AuditLog audit;
  private final TransactionTemplate tx;

  NodeApiController(NodeRegistry nodes, SnapshotPublisher publisher, SpillwayProperties props, AuditLog audit,
      TransactionTemplate tx) {
    this.nodes = nodes;
    this.publisher = publisher;
    this.staleAfter = props.nodeStaleAfter();
    this.audit = audit;
    this.tx = tx;
  }

  record NodeView(String id, String address, String softwareVersion, Long appliedVersion, String appliedHash,
      Instant lastSeen, Instant lastHeartbeat, Instant startedAt, Long uptimeSeconds, Instant firstSeen,
      String lastError, String status) {}

  @GetMapping("/api/v1/nodes")
  Map<String, List<NodeView>> list(@RequestParam(required = false) String status) {
    if (status != null && !STATUSES.contains(status)) {
      throw ApiException.invalid("status", "must be one of in_sync, behind, stale, rejected (got '" + status + "')");
    }
    Instant now = Instant.now();
    PublishedSnapshot current = publisher.current().orElse(null);
    return Map.of("data", nodes.all().stream().map(n -> view(n, current, now))
        .filter(v -> status == null || v.status().equals(status)).toList());
  }

  @GetMapping("/api/v1/nodes/{id}")
  NodeView get(@PathVariable String id) {
    return view(nodes.find(id).orElseThrow(() -> ApiException.notFound("node", id)),
        publisher.current().orElse(null), Instant.now());
  }

  /** Forgets a decommissioned node; a node that is still running reappears with its next poll. */
  @DeleteMapping("/api/v1/nodes/{id}")
  ResponseEntity<Void> delete(@PathVariable String id) {
    tx.executeWithoutResult(s -> {
      var node = nodes.find(id).orElseThrow(() -> ApiException.notFound("node", id));
      nodes.delete(id);
      audit.record("node.delete", "node", id, Map.of("address", String.valueOf(node.address()),
          "last_seen", node.lastSeen().toString()), null, null);
    });
    return ResponseEntity.noContent().build();
  }

  private NodeView view(NodeRegistry.NodeRow n, PublishedSnapshot current, Instant now) {
    return new NodeView(n.nodeId(), n.address(), n.softwareVersion(), n.appliedVersion(), n.appliedHash(),
        n.lastSeen(), n.lastHeartbeat(), n.startedAt(), n.uptimeSeconds(), n.firstSeen(), n.lastError(),
        status(n, current, now));
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
