package dev.spillway.controlplane.dashboard;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.controlplane.common.BudgetBody;
import dev.spillway.controlplane.common.RateLimitBody;

/** The budget and rate-limit fields that teams, keys and the organisation share. */
public record LimitsForm(String limitUsd, String period, String rpm, String tpm, String maxConcurrent) {

  public static LimitsForm of(BudgetConfig budget, RateLimitConfig rateLimit) {
    return new LimitsForm(budget == null ? "" : budget.limitUsd().stripTrailingZeros().toPlainString(),
        budget == null ? "monthly" : budget.period().wireName(),
        rateLimit == null || rateLimit.rpm() == null ? "" : rateLimit.rpm().toString(),
        rateLimit == null || rateLimit.tpm() == null ? "" : rateLimit.tpm().toString(),
        rateLimit == null || rateLimit.maxConcurrent() == null ? "" : rateLimit.maxConcurrent().toString());
  }

  public BudgetBody budget() {
    return Forms.budget("budget", limitUsd, period);
  }

  public RateLimitBody rateLimit() {
    return Forms.rateLimit("rate_limit", rpm, tpm, maxConcurrent);
  }
}
