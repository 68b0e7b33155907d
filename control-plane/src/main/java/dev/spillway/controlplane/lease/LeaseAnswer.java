package dev.spillway.controlplane.lease;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The answer to a lease call, leases in the order of the call. Amounts are decimal strings (whole numbers for
 * requests, tokens and slots), times ISO-8601 UTC with milliseconds.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record LeaseAnswer(String serverTime, long refreshMs, List<Grant> leases) {
  /** What one lease may consume; {@code limit}, {@code remaining} and {@code resetAt} may be null. */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  /**
   * @param used what the control plane has on record as this node's consumption from the lease: a node that
   *             restarted mid-window (and counts from zero) resumes from it instead of spending it again
   */
  public record Grant(String scopeType, String scopeId, String kind, String windowStart, String granted,
      String expiresAt, String limit, boolean enforce, String remaining, String resetAt, String used) {}
}
