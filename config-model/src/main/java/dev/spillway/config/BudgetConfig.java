package dev.spillway.config;

import java.math.BigDecimal;
import java.util.Objects;

/** A spend limit in USD per period. */
public record BudgetConfig(BigDecimal limitUsd, BudgetPeriod period) {
  public BudgetConfig {
    Objects.requireNonNull(limitUsd, "limitUsd");
    Objects.requireNonNull(period, "period");
    if (limitUsd.signum() < 0) {
      throw new IllegalArgumentException("limitUsd: " + limitUsd + " (expected: >= 0)");
    }
    // 10, 10.0 and 10.000000 are the same budget and must encode to the same canonical bytes.
    limitUsd = limitUsd.signum() == 0 ? BigDecimal.ZERO : limitUsd.stripTrailingZeros();
  }
}
