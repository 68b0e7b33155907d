package dev.spillway.controlplane.node;

import java.time.Instant;

/** What a node says about itself on every poll and heartbeat. */
public record NodeReport(
    String nodeId,
    String address,
    String softwareVersion,
    Long appliedVersion,
    String appliedHash,
    String lastError,
    Instant startedAt) {}
