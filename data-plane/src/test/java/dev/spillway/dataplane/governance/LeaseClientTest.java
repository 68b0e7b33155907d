package dev.spillway.dataplane.governance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.BudgetPeriod;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.Snapshots;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The turn of a window against a real HTTP control plane (the test-support fake, which grants by the rule of
 * docs/governance.md): a lease in use gets its next window's lease, sized by its recent rate, before the window
 * turns, so the first requests of the new window take from it without waiting for a grant.
 */
class LeaseClientTest {
  static FakeControlPlane controlPlane;

  @BeforeAll
  static void start() {
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1", new BudgetConfig(new BigDecimal("1000"), BudgetPeriod.DAILY), new RateLimitConfig(100_000, null,
            1_000))
        .build());
  }

  @AfterAll
  static void stop() {
    controlPlane.close();
  }

  /** A wall clock the test moves. */
  static final class MovableClock extends Clock {
    volatile Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** Takes {@code count} units one at a time as requests do, refreshing when a take would wait; returns the waits. */
  static int spend(LeaseClient client, Lease lease, int count) {
    int waits = 0;
    for (int i = 0; i < count; i++) {
      Lease.Take take = lease.take(1, true, true, System.nanoTime());
      if (take == Lease.Take.WAIT) {
        waits++;
        client.refresh(false);
        lease.withdrawDemand(1);
        assertThat(lease.take(1, false, true, System.nanoTime())).isEqualTo(Lease.Take.TAKEN);
      } else {
        assertThat(take).isEqualTo(Lease.Take.TAKEN);
      }
    }
    return waits;
  }

  static Lease existing(LeaseClient client, LeaseKey key) {
    return client.lease(key, k -> {
      throw new AssertionError("no lease for " + k + " was made ahead of its window");
    });
  }

  @Test
  void aMinuteInUseGetsTheNextMinutesGrantBeforeItTurns() {
    Instant minute = Instant.parse("2026-12-08T10:15:00Z");
    MovableClock clock = new MovableClock(minute.plusSeconds(30));
    LeaseClient client = new LeaseClient(controlPlane.uri(), Snapshots.NODE_TOKEN, "node-rpm", clock);
    LeaseKey key = new LeaseKey("team", "t1", LeaseKey.Kind.RPM, minute);
    Lease lease = client.lease(key, k -> new Lease(k, "team 't1' limit of 100000 requests per minute", 100_000,
        minute.plusSeconds(60)));
    // A fresh lease waits for its first grant, which covers a couple of requests; the rate then sizes the grants.
    assertThat(spend(client, lease, 2_000)).isGreaterThan(0);
    client.refresh(false);
    int callsBefore = controlPlane.leaseCalls();

    clock.now = minute.plusSeconds(56); // more than the lead before the turn: nothing yet
    client.refresh(false);
    assertThat(client.leaseCount()).isEqualTo(1);

    clock.now = minute.plusSeconds(58);
    client.refresh(false);
    assertThat(controlPlane.leaseCalls()).isEqualTo(callsBefore + 3); // the two refreshes and the call ahead
    LeaseKey nextKey = new LeaseKey("team", "t1", LeaseKey.Kind.RPM, minute.plusSeconds(60));
    Lease next = existing(client, nextKey);
    assertThat(next.resetAt()).isEqualTo(minute.plusSeconds(120));

    clock.now = minute.plusSeconds(60).plusMillis(1);
    // The new minute's first requests take from the grant asked ahead, sized by the last minute's rate: none waits.
    for (int i = 0; i < 200; i++) {
      assertThat(next.take(1, false, true, System.nanoTime())).as("request %d of the new minute", i)
          .isEqualTo(Lease.Take.TAKEN);
    }
    assertThat(controlPlane.consumed("team", "t1", "rpm", minute.plusSeconds(60).toString()))
        .isEqualByComparingTo("0"); // reported at the next refresh, like any lease
    client.refresh(false);
    assertThat(controlPlane.consumed("team", "t1", "rpm", minute.plusSeconds(60).toString()))
        .isEqualByComparingTo("200");
    // The passed minute, idle, is given back.
    assertThat(client.leaseCount()).isEqualTo(1);
  }

  @Test
  void aDailyBudgetInUseGetsTomorrowsLeaseBeforeMidnight() {
    Instant day = Instant.parse("2026-12-08T00:00:00Z");
    MovableClock clock = new MovableClock(Instant.parse("2026-12-08T23:59:50Z"));
    LeaseClient client = new LeaseClient(controlPlane.uri(), Snapshots.NODE_TOKEN, "node-budget", clock);
    LeaseKey key = new LeaseKey("team", "t1", LeaseKey.Kind.BUDGET, day);
    long cost = 1_000_000; // $0.001 in nano-dollars
    Lease lease = client.lease(key, k -> new Lease(k, "team 't1' daily budget $1000.00", 1_000_000_000_000L,
        Windows.periodEnd(BudgetPeriod.DAILY, day), BudgetPeriod.DAILY));
    for (int i = 0; i < 50; i++) {
      if (lease.take(cost, true, true, System.nanoTime()) == Lease.Take.WAIT) {
        client.refresh(false);
        lease.withdrawDemand(cost);
        assertThat(lease.take(cost, false, true, System.nanoTime())).isEqualTo(Lease.Take.TAKEN);
      }
      lease.settle(cost, cost);
    }
    clock.now = Instant.parse("2026-12-08T23:59:58Z");
    client.refresh(false);
    Lease tomorrow = existing(client, new LeaseKey("team", "t1", LeaseKey.Kind.BUDGET, day.plusSeconds(86_400)));
    assertThat(tomorrow.nextWindowStart()).isEqualTo(Instant.parse("2026-12-10T00:00:00Z"));
    clock.now = Instant.parse("2026-12-09T00:00:00.001Z");
    assertThat(tomorrow.take(cost, false, true, System.nanoTime())).isEqualTo(Lease.Take.TAKEN);
  }

  @Test
  void concurrencySlotsCoverTheRecentPeakSoABurstLikeItDoesNotWait() {
    LeaseClient client = new LeaseClient(controlPlane.uri(), Snapshots.NODE_TOKEN, "node-concurrency",
        Clock.systemUTC());
    Lease lease = client.lease(new LeaseKey("team", "t1", LeaseKey.Kind.CONCURRENCY, null),
        k -> new Lease(k, "team 't1' limit of 1000 concurrent requests", 1_000, null));
    int burst = 8;
    spend(client, lease, burst); // eight requests at once, each waiting for a grant when the lease lacks a slot
    for (int i = 0; i < burst; i++) {
      lease.settle(1, 1);
    }
    client.refresh(false);
    // The same burst again: the lease kept spare slots for the peak it saw, so nobody waits for the control plane.
    for (int i = 0; i < burst; i++) {
      assertThat(lease.take(1, false, true, System.nanoTime())).as("request %d of the burst", i)
          .isEqualTo(Lease.Take.TAKEN);
    }
    assertThat(lease.used()).isEqualTo(burst);
  }

  @Test
  void aTotalBudgetAndAConcurrencyLimitHaveNoNextWindow() {
    LeaseKey total = new LeaseKey("team", "t1", LeaseKey.Kind.BUDGET, Windows.ALL_TIME);
    Lease budget = new Lease(total, "team 't1' total budget $1000.00", 1_000_000_000_000L, null, BudgetPeriod.TOTAL);
    assertThat(budget.nextWindowStart()).isNull();
    Lease concurrency = new Lease(new LeaseKey("team", "t1", LeaseKey.Kind.CONCURRENCY, null), "c", 5, null);
    assertThat(concurrency.nextWindowStart()).isNull();
    budget.force(1);
    assertThat(budget.successorDue(Instant.now(), System.nanoTime())).isFalse();
  }
}
