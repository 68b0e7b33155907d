package dev.spillway.dataplane.governance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.BudgetPeriod;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Budget periods in UTC, also when the remembered current window no longer holds the time asked about. */
class WindowsTest {
  static Instant at(String text) {
    return Instant.parse(text);
  }

  @Test
  void eachPeriodStartsOnItsCalendarBoundaryInUtc() {
    Instant t = at("2026-12-09T13:45:10Z"); // a Wednesday
    assertThat(Windows.periodStart(BudgetPeriod.DAILY, t)).isEqualTo(at("2026-12-09T00:00:00Z"));
    assertThat(Windows.periodStart(BudgetPeriod.WEEKLY, t)).isEqualTo(at("2026-12-07T00:00:00Z"));
    assertThat(Windows.periodStart(BudgetPeriod.MONTHLY, t)).isEqualTo(at("2026-12-01T00:00:00Z"));
    assertThat(Windows.periodStart(BudgetPeriod.TOTAL, t)).isEqualTo(Windows.ALL_TIME);
    assertThat(Windows.periodEnd(BudgetPeriod.MONTHLY, at("2026-12-01T00:00:00Z"))).isEqualTo(at("2027-01-01T00:00:00Z"));
    assertThat(Windows.periodEnd(BudgetPeriod.TOTAL, Windows.ALL_TIME)).isNull();
  }

  @Test
  void theWindowTurnsAtMidnightAndATimeBeforeTheRememberedWindowIsStillRight() {
    assertThat(Windows.periodStart(BudgetPeriod.DAILY, at("2026-12-08T23:59:59.999Z")))
        .isEqualTo(at("2026-12-08T00:00:00Z"));
    assertThat(Windows.periodStart(BudgetPeriod.DAILY, at("2026-12-09T00:00:00Z")))
        .isEqualTo(at("2026-12-09T00:00:00Z"));
    // A clock set back (or a caller asking about an earlier time) is not answered from the remembered window.
    assertThat(Windows.periodStart(BudgetPeriod.DAILY, at("2026-12-08T12:00:00Z")))
        .isEqualTo(at("2026-12-08T00:00:00Z"));
    assertThat(Windows.periodStart(BudgetPeriod.MONTHLY, at("2026-12-31T23:59:59Z")))
        .isEqualTo(at("2026-12-01T00:00:00Z"));
    assertThat(Windows.periodStart(BudgetPeriod.MONTHLY, at("2027-01-01T00:00:00Z")))
        .isEqualTo(at("2027-01-01T00:00:00Z"));
  }
}
