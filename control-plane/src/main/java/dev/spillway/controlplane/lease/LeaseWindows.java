package dev.spillway.controlplane.lease;

import dev.spillway.config.BudgetPeriod;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;

/**
 * The windows limits count in: calendar periods in UTC for budgets (a week starts on Monday, {@code total} at the
 * epoch and never ends) and calendar minutes for rpm and tpm.
 *
 * <p>A node computes its window from its own clock. A window is accepted while it overlaps the last
 * {@link #CLOCK_BEHIND} or the next {@link #CLOCK_AHEAD} of the control plane's clock: a node a little behind still
 * reports into the window it believes current (the previous minute, or the previous period during the first
 * minute of a new one), and one a little ahead is not refused at every minute's turn.
 */
final class LeaseWindows {
  static final Duration CLOCK_BEHIND = Duration.ofSeconds(60);
  static final Duration CLOCK_AHEAD = Duration.ofSeconds(5);

  private LeaseWindows() {}

  static Instant periodStart(BudgetPeriod period, Instant t) {
    LocalDate day = t.atZone(ZoneOffset.UTC).toLocalDate();
    LocalDate start = switch (period) {
      case DAILY -> day;
      case WEEKLY -> day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
      case MONTHLY -> day.withDayOfMonth(1);
      case TOTAL -> LocalDate.EPOCH;
    };
    return start.atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  /** The end of the period that begins at {@code start}; null for {@code total}, which never ends. */
  static Instant periodEnd(BudgetPeriod period, Instant start) {
    LocalDate day = start.atZone(ZoneOffset.UTC).toLocalDate();
    LocalDate end = switch (period) {
      case DAILY -> day.plusDays(1);
      case WEEKLY -> day.plusWeeks(1);
      case MONTHLY -> day.plusMonths(1);
      case TOTAL -> null;
    };
    return end == null ? null : end.atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  /** Whether a node may name the period of {@code period} that starts at {@code windowStart} at {@code now}. */
  static boolean acceptable(BudgetPeriod period, Instant windowStart, Instant now) {
    // No window is shorter than CLOCK_BEHIND, so every window the span overlaps holds one of its ends or now.
    return windowStart.equals(periodStart(period, now.minus(CLOCK_BEHIND)))
        || windowStart.equals(periodStart(period, now))
        || windowStart.equals(periodStart(period, now.plus(CLOCK_AHEAD)));
  }

  /** Whether {@code windowStart} is the start of a budget period of any kind that a node may name now. */
  static boolean acceptableForAnyPeriod(Instant windowStart, Instant now) {
    for (BudgetPeriod period : BudgetPeriod.values()) {
      if (acceptable(period, windowStart, now)) {
        return true;
      }
    }
    return false;
  }

  static Instant minuteStart(Instant t) {
    return t.truncatedTo(ChronoUnit.MINUTES);
  }

  /** Whether a node may name the minute that starts at {@code windowStart} at {@code now}. */
  static boolean acceptableMinute(Instant windowStart, Instant now) {
    return windowStart.equals(minuteStart(now.minus(CLOCK_BEHIND))) || windowStart.equals(minuteStart(now))
        || windowStart.equals(minuteStart(now.plus(CLOCK_AHEAD)));
  }
}
