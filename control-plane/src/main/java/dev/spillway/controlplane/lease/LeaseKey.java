package dev.spillway.controlplane.lease;

import dev.spillway.controlplane.limits.Scope;
import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;
import java.util.UUID;

/**
 * One window of one limit: what a counter counts and what every node's lease of it is a slice of. Concurrency has
 * no window; it is stored under {@link Instant#EPOCH}.
 */
public record LeaseKey(Scope scopeType, UUID scopeId, LeaseKind kind, Instant windowStart)
    implements Comparable<LeaseKey> {
  private static final Comparator<LeaseKey> ORDER = Comparator.comparing((LeaseKey k) -> k.scopeType.dbName())
      .thenComparing(LeaseKey::scopeId).thenComparing(k -> k.kind.wireName()).thenComparing(LeaseKey::windowStart);

  public LeaseKey {
    Objects.requireNonNull(scopeType, "scopeType");
    Objects.requireNonNull(scopeId, "scopeId");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(windowStart, "windowStart");
  }

  @Override
  public int compareTo(LeaseKey other) {
    return ORDER.compare(this, other);
  }
}
