package dev.spillway.config;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * A spend limit in USD per period.
 *
 * @param enforce       false: shadow mode, the node records what it would have refused and refuses nothing
 * @param onUnreachable what a node does once its leases are spent and the control plane cannot grant more
 */
public record BudgetConfig(BigDecimal limitUsd, BudgetPeriod period, Boolean enforce, OnUnreachable onUnreachable) {
  public BudgetConfig {
    Objects.requireNonNull(limitUsd, "limitUsd");
    Objects.requireNonNull(period, "period");
    if (limitUsd.signum() < 0) {
      throw new IllegalArgumentException("limitUsd: " + limitUsd + " (expected: >= 0)");
    }
    // 10, 10.0 and 10.000000 are the same budget and must encode to the same canonical bytes.
    limitUsd = limitUsd.signum() == 0 ? BigDecimal.ZERO : limitUsd.stripTrailingZeros();
    // Absent in snapshots written before these fields existed: enforced, failing closed.
    enforce = enforce == null ? Boolean.TRUE : enforce;
    onUnreachable = onUnreachable == null ? OnUnreachable.FAIL_CLOSED : onUnreachable;
  }

  /** An enforced budget that fails closed. */
  public BudgetConfig(BigDecimal limitUsd, BudgetPeriod period) {
    this(limitUsd, period, true, OnUnreachable.FAIL_CLOSED);
  }

  public boolean enforced() {
    return enforce;
  }
}
