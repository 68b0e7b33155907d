package dev.spillway.controlplane.lease;

import java.math.BigDecimal;
import java.util.List;

/**
 * The body of {@code POST /internal/v1/leases} as a node sends it; {@link LeaseService} checks every field.
 * Amounts may be JSON numbers or decimal strings.
 */
public record LeaseCall(String nodeId, List<Item> leases) {
  /** One lease: its identity, what the node used from it, what it wants to hold, and whether this is the end. */
  public record Item(String scopeType, String scopeId, String kind, String windowStart, BigDecimal used,
      BigDecimal want, Boolean release) {}
}
