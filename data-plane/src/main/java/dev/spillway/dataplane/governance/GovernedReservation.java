package dev.spillway.dataplane.governance;

import dev.spillway.dataplane.exchange.Admission;
import dev.spillway.dataplane.usage.Usage;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The claims one admitted request holds on this node's leases, released exactly once: settled with what the
 * request really consumed, or cancelled when it never ran.
 */
final class GovernedReservation implements Admission.Reservation {
  private final List<GovernanceAdmission.Claim> claims;
  private final String shadowRefusal;
  private final Map<String, String> headers;
  private final AtomicBoolean released = new AtomicBoolean();

  GovernedReservation(List<GovernanceAdmission.Claim> claims, String shadowRefusal, Map<String, String> headers) {
    this.claims = claims; // the admission's own list, not changed after it is handed over
    this.shadowRefusal = shadowRefusal;
    this.headers = headers;
  }

  @Override
  public void settle(Usage usage, BigDecimal costUsd) {
    if (!released.compareAndSet(false, true)) {
      return;
    }
    long costNanos = costUsd.movePointRight(9).setScale(0, RoundingMode.UP).longValue();
    for (GovernanceAdmission.Claim claim : claims) {
      Lease lease = claim.lease();
      long actual = switch (lease.key.kind()) {
        case BUDGET -> costNanos;
        case TPM -> usage.inputTokens() + usage.outputTokens();
        case RPM, CONCURRENCY -> claim.amount();
      };
      lease.settle(claim.amount(), actual);
    }
  }

  @Override
  public void cancel() {
    if (!released.compareAndSet(false, true)) {
      return;
    }
    for (GovernanceAdmission.Claim claim : claims) {
      claim.lease().cancel(claim.amount());
    }
  }

  @Override
  public String shadowRefusal() {
    return shadowRefusal;
  }

  @Override
  public Map<String, String> headers() {
    return headers;
  }
}
