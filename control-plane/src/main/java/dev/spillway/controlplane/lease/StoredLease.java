package dev.spillway.controlplane.lease;

import java.math.BigDecimal;
import java.time.Instant;

/** A node's lease as the last grant left it. */
record StoredLease(String nodeId, BigDecimal granted, BigDecimal used, BigDecimal want, Instant expiresAt,
    Instant releasedAt) {

  /** Holds headroom: neither released nor past its expiry. */
  boolean liveAt(Instant now) {
    return releasedAt == null && expiresAt.isAfter(now);
  }
}
