package dev.spillway.controlplane.lease;

import java.util.Arrays;
import java.util.Optional;

/** What a lease is a slice of. */
public enum LeaseKind {
  /** USD of a budget's period; reports are cumulative spend. */
  BUDGET("budget", false, true),
  /** Requests of one calendar minute; reports are cumulative admissions. */
  RPM("rpm", true, true),
  /** Tokens of one calendar minute; reports are cumulative tokens. */
  TPM("tpm", true, true),
  /** Requests in flight at once; a report is the number in flight now, nothing is consumed. */
  CONCURRENCY("concurrency", true, false);

  private final String wireName;
  private final boolean counts;
  private final boolean cumulative;

  LeaseKind(String wireName, boolean counts, boolean cumulative) {
    this.wireName = wireName;
    this.counts = counts;
    this.cumulative = cumulative;
  }

  public String wireName() {
    return wireName;
  }

  /** Whole numbers only (requests, tokens, slots), as opposed to dollars. */
  public boolean counts() {
    return counts;
  }

  /** Reports only grow within a window and what they report is consumed for good. */
  public boolean cumulative() {
    return cumulative;
  }

  public static Optional<LeaseKind> find(String wireName) {
    return Arrays.stream(values()).filter(k -> k.wireName.equals(wireName)).findFirst();
  }
}
