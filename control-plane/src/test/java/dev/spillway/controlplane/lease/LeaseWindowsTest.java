package dev.spillway.controlplane.lease;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.BudgetPeriod;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LeaseWindowsTest {
  private static Instant t(String iso) {
    return Instant.parse(iso);
  }

  @Test
  void periodsAreCalendarAlignedInUtc() {
    Instant sunday = t("2026-12-06T23:59:59Z");

    assertThat(LeaseWindows.periodStart(BudgetPeriod.DAILY, sunday)).isEqualTo(t("2026-12-06T00:00:00Z"));
    assertThat(LeaseWindows.periodStart(BudgetPeriod.WEEKLY, sunday)).isEqualTo(t("2026-11-30T00:00:00Z"));
    assertThat(LeaseWindows.periodStart(BudgetPeriod.MONTHLY, sunday)).isEqualTo(t("2026-12-01T00:00:00Z"));
    assertThat(LeaseWindows.periodStart(BudgetPeriod.TOTAL, sunday)).isEqualTo(Instant.EPOCH);
    assertThat(LeaseWindows.periodEnd(BudgetPeriod.WEEKLY, t("2026-11-30T00:00:00Z")))
        .isEqualTo(t("2026-12-07T00:00:00Z"));
    assertThat(LeaseWindows.periodEnd(BudgetPeriod.MONTHLY, t("2026-12-01T00:00:00Z")))
        .isEqualTo(t("2027-01-01T00:00:00Z"));
    assertThat(LeaseWindows.periodEnd(BudgetPeriod.TOTAL, Instant.EPOCH)).isNull();
  }

  @Test
  void acceptsThePreviousMinuteAndTheNextOnlyJustBeforeItStarts() {
    Instant now = t("2026-12-07T13:38:02Z");

    assertThat(LeaseWindows.acceptableMinute(t("2026-12-07T13:38:00Z"), now)).isTrue();
    assertThat(LeaseWindows.acceptableMinute(t("2026-12-07T13:37:00Z"), now)).isTrue();
    assertThat(LeaseWindows.acceptableMinute(t("2026-12-07T13:36:00Z"), now)).isFalse();
    assertThat(LeaseWindows.acceptableMinute(t("2026-12-07T13:39:00Z"), now)).isFalse();
    assertThat(LeaseWindows.acceptableMinute(t("2026-12-07T13:39:00Z"), t("2026-12-07T13:38:56Z"))).isTrue();
    assertThat(LeaseWindows.acceptableMinute(t("2026-12-07T13:38:30Z"), now)).isFalse();
  }

  @Test
  void acceptsThePreviousPeriodOnlyDuringTheFirstMinuteOfTheNext() {
    Instant yesterday = t("2026-12-06T00:00:00Z");

    assertThat(LeaseWindows.acceptable(BudgetPeriod.DAILY, yesterday, t("2026-12-07T00:00:30Z"))).isTrue();
    assertThat(LeaseWindows.acceptable(BudgetPeriod.DAILY, yesterday, t("2026-12-07T00:01:30Z"))).isFalse();
    assertThat(LeaseWindows.acceptable(BudgetPeriod.DAILY, t("2026-12-07T13:00:00Z"), t("2026-12-07T13:38:00Z")))
        .isFalse();
  }

  @Test
  void knowsAWindowThatStartsSomeOtherKindOfPeriod() {
    Instant now = t("2026-12-07T13:38:02Z");

    assertThat(LeaseWindows.acceptable(BudgetPeriod.DAILY, Instant.EPOCH, now)).isFalse();
    assertThat(LeaseWindows.acceptableForAnyPeriod(Instant.EPOCH, now)).isTrue();
    assertThat(LeaseWindows.acceptableForAnyPeriod(t("2026-12-01T00:00:00Z"), now)).isTrue();
    assertThat(LeaseWindows.acceptableForAnyPeriod(t("2026-12-02T00:00:00Z"), now)).isFalse();
  }
}
