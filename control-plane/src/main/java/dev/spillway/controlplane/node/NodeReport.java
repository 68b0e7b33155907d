package dev.spillway.controlplane.node;

import java.time.Instant;

/**
 * What a node says about itself on every poll and heartbeat.
 *
 * @param uptimeSeconds seconds since the node started, from heartbeats (null from polls)
 */
public record NodeReport(
    String nodeId,
    String address,
    String softwareVersion,
    Long appliedVersion,
    String appliedHash,
    String lastError,
    Instant startedAt,
    Long uptimeSeconds) {

  /** A report from a snapshot poll, which carries no uptime. */
  public NodeReport(String nodeId, String address, String softwareVersion, Long appliedVersion, String appliedHash,
      String lastError, Instant startedAt) {
    this(nodeId, address, softwareVersion, appliedVersion, appliedHash, lastError, startedAt, null);
  }
}
