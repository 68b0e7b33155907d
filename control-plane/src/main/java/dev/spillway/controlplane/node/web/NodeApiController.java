package dev.spillway.controlplane.node.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.node.Fleet;
import dev.spillway.controlplane.node.NodeRegistry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /api/v1/nodes}: the fleet as the nodes' own polls and heartbeats describe it, with the status
 * {@link Fleet} computes.
 */
@RestController
class NodeApiController {
  private static final Set<String> STATUSES = Set.of("in_sync", "behind", "stale", "rejected");

  private final Fleet fleet;

  NodeApiController(Fleet fleet) {
    this.fleet = fleet;
  }

  record NodeView(String id, String address, String softwareVersion, Long appliedVersion, String appliedHash,
      Instant lastSeen, Instant lastHeartbeat, Instant startedAt, Long uptimeSeconds, Instant firstSeen,
      String lastError, String status) {}

  @GetMapping("/api/v1/nodes")
  Map<String, List<NodeView>> list(@RequestParam(required = false) String status) {
    if (status != null && !STATUSES.contains(status)) {
      throw ApiException.invalid("status", "must be one of in_sync, behind, stale, rejected (got '" + status + "')");
    }
    return Map.of("data", fleet.all().stream().map(NodeApiController::view)
        .filter(v -> status == null || v.status().equals(status)).toList());
  }

  @GetMapping("/api/v1/nodes/{id}")
  NodeView get(@PathVariable String id) {
    return view(fleet.find(id).orElseThrow(() -> ApiException.notFound("node", id)));
  }

  /** Forgets a decommissioned node; a node that is still running reappears with its next poll. */
  @DeleteMapping("/api/v1/nodes/{id}")
  ResponseEntity<Void> delete(@PathVariable String id) {
    fleet.forget(id);
    return ResponseEntity.noContent().build();
  }

  private static NodeView view(Fleet.Member m) {
    NodeRegistry.NodeRow n = m.node();
    return new NodeView(n.nodeId(), n.address(), n.softwareVersion(), n.appliedVersion(), n.appliedHash(),
        n.lastSeen(), n.lastHeartbeat(), n.startedAt(), n.uptimeSeconds(), n.firstSeen(), n.lastError(), m.status());
  }
}
