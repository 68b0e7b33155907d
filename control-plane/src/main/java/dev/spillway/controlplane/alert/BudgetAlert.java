package dev.spillway.controlplane.alert;

import dev.spillway.config.BudgetPeriod;
import dev.spillway.controlplane.limits.Scope;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/**
 * A budget's recorded spend crossed {@code thresholdPercent} of its limit in the period that began at
 * {@code periodStart}: fired once per budget, period and threshold, with what the budget and its spend were then.
 *
 * @param scopeName        the organisation's, team's or key's name when it fired
 * @param teamId           whose members may read it: the team itself, a key's team; null for the organisation
 * @param delivery         where its webhook POST stands; {@link Delivery#NONE} when no webhook is configured
 * @param deliveryAttempts POSTs started so far
 * @param nextAttemptAt    when the next POST is due (pending deliveries only)
 * @param lastError        why the last POST failed (an HTTP status or a connection problem), or null
 */
public record BudgetAlert(UUID id, Scope scopeType, UUID scopeId, String scopeName, UUID teamId,
    BudgetPeriod period, Instant periodStart, int thresholdPercent, BigDecimal limitUsd, BigDecimal spentUsd,
    boolean enforce, Instant firedAt, Delivery delivery, int deliveryAttempts, Instant nextAttemptAt,
    Instant deliveredAt, String lastError) {

  /** The thresholds that fire, in percent of the limit, lowest first. */
  public static final int[] THRESHOLDS = {50, 80, 100};

  /** Where the webhook POST of an alert stands. */
  public enum Delivery {
    /** No webhook was configured when it fired: logged and stored only. */
    NONE,
    /** A POST is due at {@code nextAttemptAt} (or under way). */
    PENDING,
    DELIVERED,
    /** Every attempt failed; {@code lastError} tells the last reason. */
    FAILED;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Delivery ofWireName(String value) {
      return valueOf(value.toUpperCase(Locale.ROOT));
    }
  }

  public BudgetAlert {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(scopeType, "scopeType");
    Objects.requireNonNull(scopeId, "scopeId");
    Objects.requireNonNull(scopeName, "scopeName");
    Objects.requireNonNull(period, "period");
    Objects.requireNonNull(periodStart, "periodStart");
    Objects.requireNonNull(limitUsd, "limitUsd");
    Objects.requireNonNull(spentUsd, "spentUsd");
    Objects.requireNonNull(firedAt, "firedAt");
    Objects.requireNonNull(delivery, "delivery");
  }

  /**
   * The log line's text, worded like the nodes' refusals: {@code team 'research' monthly budget $50.00 at 80 %
   * ($40.12 spent)}. A budget in shadow mode says so, since nothing will be refused at 100 %.
   */
  public String message() {
    return scopeWord(scopeType) + " '" + scopeName + "' " + period.wireName() + " budget " + usd(limitUsd) + " at "
        + thresholdPercent + " % (" + usd(spentUsd) + " spent" + (enforce ? "" : "; shadow mode, nothing refused")
        + ")";
  }

  /** For pages: {@code delivered}, {@code no webhook}, {@code pending (attempt 2 failed: HTTP 500)}, … */
  public String deliverySummary() {
    return switch (delivery) {
      case NONE -> "no webhook";
      case DELIVERED -> "delivered";
      case PENDING -> lastError == null ? "sending" : "retrying (attempt " + deliveryAttempts + " failed: "
          + lastError + ")";
      case FAILED -> "not delivered (" + deliveryAttempts + " attempts; last: " + lastError + ")";
    };
  }

  static String scopeWord(Scope scope) {
    return switch (scope) {
      case ORG -> "organisation";
      case TEAM -> "team";
      case KEY -> "key";
    };
  }

  /** Dollars as people read them: cents, or four decimals below a dollar (as the dashboard shows spend). */
  static String usd(BigDecimal amount) {
    int scale = amount.abs().compareTo(BigDecimal.ONE) < 0 && amount.signum() != 0 ? 4 : 2;
    return "$" + amount.setScale(scale, RoundingMode.HALF_UP).toPlainString();
  }

  /** An amount for machines: as recorded, with trailing zeros dropped but at least cents ({@code 50.00}). */
  public static BigDecimal exact(BigDecimal amount) {
    BigDecimal stripped = amount.stripTrailingZeros();
    return stripped.scale() < 2 ? stripped.setScale(2) : stripped;
  }
}
