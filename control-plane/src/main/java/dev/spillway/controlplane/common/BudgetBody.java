package dev.spillway.controlplane.common;

import dev.spillway.config.BudgetConfig;
import java.math.BigDecimal;

/** {@code {"limit_usd": 10.0, "period": "monthly"}} on the admin API. */
public record BudgetBody(BigDecimal limitUsd, String period) {
  public static BudgetBody of(BudgetConfig config) {
    return config == null ? null : new BudgetBody(config.limitUsd(), config.period().wireName());
  }
}
