package dev.spillway.controlplane.lease;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.lease.LeaseMath.Ask;
import dev.spillway.controlplane.lease.LeaseMath.Other;
import dev.spillway.controlplane.lease.LeaseMath.Outcome;
import dev.spillway.controlplane.lease.LeaseMath.Own;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeaseMathTest {
  private static BigDecimal d(String value) {
    return new BigDecimal(value);
  }

  private static Ask ask(String used, String want) {
    return new Ask(d(used), d(want), false, true);
  }

  private static Outcome budget(String limit, String consumed, Own own, List<Other> others, Ask ask) {
    return LeaseMath.grant(LeaseKind.BUDGET, limit == null ? null : d(limit), d(consumed), own, others, ask);
  }

  @Test
  void grantsAFirstLeaseWhatItWantsUpToTheLimit() {
    Outcome small = budget("1.00", "0", Own.NONE, List.of(), ask("0", "0.6"));
    Outcome large = budget("1.00", "0", Own.NONE, List.of(), ask("0", "1.5"));

    assertThat(small.granted()).isEqualByComparingTo("0.6");
    assertThat(small.remaining()).isEqualByComparingTo("0.4");
    assertThat(large.granted()).isEqualByComparingTo("1.00");
    assertThat(large.remaining()).isEqualByComparingTo("0");
  }

  @Test
  void countsOnlyTheIncreaseOfUsedAsConsumedAndIgnoresALowerReport() {
    Own own = new Own(d("0.5"), d("0.3"), true);

    Outcome higher = budget("1", "0.3", own, List.of(), ask("0.4", "0.5"));
    Outcome lower = budget("1", "0.3", own, List.of(), ask("0.1", "0.5"));

    assertThat(higher.used()).isEqualByComparingTo("0.4");
    assertThat(higher.consumed()).isEqualByComparingTo("0.4");
    assertThat(lower.used()).isEqualByComparingTo("0.3");
    assertThat(lower.consumed()).isEqualByComparingTo("0.3");
  }

  @Test
  void neverGrantsLessThanWhatTheNodeHeldAndStillWantsEvenAboveTheLimit() {
    // The limit was lowered to 0.5 while the node held 0.8 of which it used 0.2.
    Outcome outcome = budget("0.5", "0.2", new Own(d("0.8"), d("0.2"), true), List.of(), ask("0.2", "1"));

    assertThat(outcome.granted()).isEqualByComparingTo("0.8");
    assertThat(outcome.remaining()).isEqualByComparingTo("0");
  }

  @Test
  void givesAnExpiredLeaseNothingBackOfItsOldGrant() {
    // While this lease was expired, another node was granted the rest.
    List<Other> tookTheRest = List.of(new Other(d("0.8"), d("0"), d("0.8")));

    Outcome expired = budget("1", "0.2", new Own(d("0.8"), d("0.2"), false), tookTheRest, ask("0.2", "0.5"));
    Outcome live = budget("1", "0.2", new Own(d("0.8"), d("0.2"), true), tookTheRest, ask("0.2", "0.5"));

    assertThat(expired.granted()).isEqualByComparingTo("0.2");
    assertThat(live.granted()).isEqualByComparingTo("0.5");
  }

  @Test
  void splitsWhatIsFreeAmongTheLeasesThatWantMore() {
    // 1.00 limit, 0.2 consumed; another node holds 0.25 (all unused) and wants 2.
    Outcome outcome = budget("1", "0.2", new Own(d("0.3"), d("0"), true),
        List.of(new Other(d("0.25"), d("0"), d("2"))), ask("0", "1"));

    // keep 0.3; free = 1 - 0.2 - 0.25 - 0.3 = 0.25, halved between the two that want more.
    assertThat(outcome.granted()).isEqualByComparingTo("0.425");
    assertThat(outcome.remaining()).isEqualByComparingTo("0.125");
  }

  @Test
  void leavesSharesOfLeasesThatWantNoMoreToTheOneThatAsks() {
    Outcome outcome = budget("1", "0", Own.NONE, List.of(new Other(d("0.3"), d("0"), d("0.3"))), ask("0", "2"));

    assertThat(outcome.granted()).isEqualByComparingTo("0.7");
  }

  @Test
  void roundsDollarSharesDownToNineDecimals() {
    Outcome outcome = budget("1", "0", Own.NONE,
        List.of(new Other(d("0"), d("0"), d("1")), new Other(d("0"), d("0"), d("1"))), ask("0", "1"));

    assertThat(outcome.granted()).isEqualByComparingTo("0.333333333");
  }

  @Test
  void grantsOneWholeUnitWhenTheShareIsBelowOne() {
    List<Other> fourWanting = List.of(new Other(d("0"), d("0"), d("2")), new Other(d("0"), d("0"), d("2")),
        new Other(d("0"), d("0"), d("2")), new Other(d("0"), d("0"), d("2")));

    Outcome outcome = LeaseMath.grant(LeaseKind.RPM, d("2"), d("0"), Own.NONE, fourWanting, ask("0", "2"));
    Outcome nothingFree = LeaseMath.grant(LeaseKind.RPM, d("2"), d("2"), Own.NONE, fourWanting, ask("0", "2"));

    assertThat(outcome.granted()).isEqualByComparingTo("1");
    assertThat(nothingFree.granted()).isEqualByComparingTo("0");
  }

  @Test
  void splitsCountsIntoWholeShares() {
    Outcome outcome = LeaseMath.grant(LeaseKind.TPM, d("1000"), d("1"), Own.NONE,
        List.of(new Other(d("0"), d("0"), d("900")), new Other(d("0"), d("0"), d("900"))), ask("0", "900"));

    assertThat(outcome.granted()).isEqualByComparingTo("333");
  }

  @Test
  void concurrencyCountsSlotsHeldAndInFlightAndConsumesNothing() {
    // Limit 5; another node holds 2; this one has 2 in flight and wants 5.
    Outcome outcome = LeaseMath.grant(LeaseKind.CONCURRENCY, d("5"), d("0"), new Own(d("2"), d("1"), true),
        List.of(new Other(d("2"), d("2"), d("2"))), ask("2", "5"));

    assertThat(outcome.granted()).isEqualByComparingTo("3");
    assertThat(outcome.consumed()).isEqualByComparingTo("0");
    assertThat(outcome.remaining()).isEqualByComparingTo("0");
  }

  @Test
  void concurrencyNeverGrantsBelowTheRequestsInFlight() {
    Outcome outcome = LeaseMath.grant(LeaseKind.CONCURRENCY, d("5"), d("0"), Own.NONE,
        List.of(new Other(d("5"), d("5"), d("5"))), ask("3", "1"));

    assertThat(outcome.granted()).isEqualByComparingTo("3");
  }

  @Test
  void concurrencyReportsMayGoDown() {
    Outcome outcome = LeaseMath.grant(LeaseKind.CONCURRENCY, d("5"), d("0"), new Own(d("3"), d("3"), true),
        List.of(), ask("0", "3"));

    assertThat(outcome.used()).isEqualByComparingTo("0");
    assertThat(outcome.granted()).isEqualByComparingTo("3");
  }

  @Test
  void grantsWhatIsWantedWithoutALimit() {
    Outcome outcome = budget(null, "0.5", Own.NONE, List.of(new Other(d("100"), d("0"), d("100"))), ask("0", "7"));

    assertThat(outcome.granted()).isEqualByComparingTo("7");
    assertThat(outcome.remaining()).isNull();
    assertThat(outcome.consumed()).isEqualByComparingTo("0.5");
  }

  @Test
  void aReleaseKeepsWhatWasUsedAndHoldsNothing() {
    Outcome outcome = budget("1", "0.1", new Own(d("0.6"), d("0.1"), true), List.of(), new Ask(d("0.4"), d("0"),
        true, true));

    assertThat(outcome.granted()).isEqualByComparingTo("0.4");
    assertThat(outcome.consumed()).isEqualByComparingTo("0.4");
    assertThat(outcome.remaining()).isEqualByComparingTo("0.6");
  }

  @Test
  void aWindowThatIsNoLongerCurrentKeepsWhatItHoldsAndGetsNoMore() {
    Outcome outcome = budget("1", "0.1", new Own(d("0.3"), d("0.1"), true), List.of(), new Ask(d("0.1"), d("0.9"),
        false, false));

    assertThat(outcome.granted()).isEqualByComparingTo("0.3");
  }
}
