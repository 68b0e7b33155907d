package dev.spillway.controlplane.dashboard;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.OnUnreachable;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.controlplane.common.BudgetBody;
import dev.spillway.controlplane.common.RateLimitBody;

/**
 * The budget and rate-limit fields that teams, keys and the organisation share.
 *
 * <p>The two {@code enforce} fields are checkboxes. A browser sends nothing for an unticked box, so each form also
 * sends the field marker {@code _enforceBudget} / {@code _enforceRateLimit}: with the marker and without the box,
 * Spring binds false; with neither (a post that does not know the field) the value stays null and the limit stays
 * enforced, so an older form can never switch enforcement off by omission.
 */
public record LimitsForm(String limitUsd, String period, Boolean enforceBudget, String onUnreachable, String rpm,
    String tpm, String maxConcurrent, Boolean enforceRateLimit) {

  public LimitsForm {
    enforceBudget = enforceBudget == null ? Boolean.TRUE : enforceBudget;
    enforceRateLimit = enforceRateLimit == null ? Boolean.TRUE : enforceRateLimit;
  }

  public static LimitsForm of(BudgetConfig budget, RateLimitConfig rateLimit) {
    return new LimitsForm(budget == null ? "" : budget.limitUsd().stripTrailingZeros().toPlainString(),
        budget == null ? "monthly" : budget.period().wireName(),
        budget == null || budget.enforced(),
        (budget == null ? OnUnreachable.FAIL_CLOSED : budget.onUnreachable()).wireName(),
        rateLimit == null || rateLimit.rpm() == null ? "" : rateLimit.rpm().toString(),
        rateLimit == null || rateLimit.tpm() == null ? "" : rateLimit.tpm().toString(),
        rateLimit == null || rateLimit.maxConcurrent() == null ? "" : rateLimit.maxConcurrent().toString(),
        rateLimit == null || rateLimit.enforced());
  }

  public BudgetBody budget() {
    return Forms.budget("budget", limitUsd, period, enforceBudget, onUnreachable);
  }

  public RateLimitBody rateLimit() {
    return Forms.rateLimit("rate_limit", rpm, tpm, maxConcurrent, enforceRateLimit);
  }
}
