package dev.spillway.dataplane.governance;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * What one lease is for: a limit kind at one level (organisation, team or key) in one window — a budget's period, a
 * rate limit's minute; none for concurrency. The control plane knows the same lease by this key and the node's id.
 */
record LeaseKey(String scopeType, String scopeId, Kind kind, Instant windowStart) {
  enum Kind {
    BUDGET, RPM, TPM, CONCURRENCY;

    String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Consumption accumulates over the window (a budget's dollars, a minute's requests and tokens). */
    boolean cumulative() {
      return this != CONCURRENCY;
    }
  }

  LeaseKey {
    Objects.requireNonNull(scopeType, "scopeType");
    Objects.requireNonNull(scopeId, "scopeId");
    Objects.requireNonNull(kind, "kind");
  }
}
