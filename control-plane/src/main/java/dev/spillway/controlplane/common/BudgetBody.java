package dev.spillway.controlplane.common;

import dev.spillway.config.BudgetConfig;
import java.math.BigDecimal;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * {@code {"limit_usd": 10.0, "period": "monthly", "enforce": true, "on_unreachable": "fail_closed"}} on the admin
 * API. {@code enforce} and {@code on_unreachable} may be absent (null): enforced, failing closed.
 */
public record BudgetBody(
    BigDecimal limitUsd,
    String period,
    @JsonDeserialize(using = StrictBooleanDeserializer.class) Boolean enforce,
    String onUnreachable) {

  public static BudgetBody of(BudgetConfig config) {
    return config == null ? null : new BudgetBody(config.limitUsd(), config.period().wireName(), config.enforce(),
        config.onUnreachable().wireName());
  }
}
