package dev.spillway.dataplane.governance;

import dev.spillway.config.BudgetPeriod;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.concurrent.atomic.AtomicReferenceArray;

/** Calendar windows in UTC: budget periods (day, ISO week from Monday, month, all time) and rate-limit minutes. */
final class Windows {
  static final Instant ALL_TIME = Instant.EPOCH;

  private Windows() {}

  /** The current window of each budget period, so that a request does not do calendar arithmetic. */
  private record Window(Instant start, Instant end) {}

  private static final AtomicReferenceArray<Window> CURRENT = new AtomicReferenceArray<>(BudgetPeriod.values().length);

  static Instant periodStart(BudgetPeriod period, Instant now) {
    if (period == BudgetPeriod.TOTAL) {
      return ALL_TIME;
    }
    Window current = CURRENT.get(period.ordinal());
    if (current != null && !now.isBefore(current.start) && now.isBefore(current.end)) {
      return current.start;
    }
    Instant start = calendarStart(period, now);
    CURRENT.set(period.ordinal(), new Window(start, periodEnd(period, start)));
    return start;
  }

  private static Instant calendarStart(BudgetPeriod period, Instant now) {
    ZonedDateTime t = now.atZone(ZoneOffset.UTC);
    LocalDate day = t.toLocalDate();
    return switch (period) {
      case DAILY -> day.atStartOfDay(ZoneOffset.UTC).toInstant();
      case WEEKLY -> day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).atStartOfDay(ZoneOffset.UTC)
          .toInstant();
      case MONTHLY -> day.withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant();
      case TOTAL -> ALL_TIME;
    };
  }

  /** The end of the period starting at {@code start}, or null for {@code total}. */
  static Instant periodEnd(BudgetPeriod period, Instant start) {
    ZonedDateTime t = start.atZone(ZoneOffset.UTC);
    return switch (period) {
      case DAILY -> t.plusDays(1).toInstant();
      case WEEKLY -> t.plusWeeks(1).toInstant();
      case MONTHLY -> t.plusMonths(1).toInstant();
      case TOTAL -> null;
    };
  }

  static Instant minuteStart(Instant now) {
    return now.truncatedTo(ChronoUnit.MINUTES);
  }
}
