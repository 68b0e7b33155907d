package dev.spillway.dataplane.governance;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The {@code x-ratelimit-*} texts a lease gives, as OpenAI writes them. */
class LeaseHeadersTest {
  static final Instant MINUTE = Instant.parse("2026-12-08T10:15:00Z");

  @Test
  void theResetIsTheTimeLeftRoundedUpToTheSecondAndMinutesAreWrittenOut() {
    Lease minute = new Lease(new LeaseKey("key", "k", LeaseKey.Kind.RPM, MINUTE), "d", 60, MINUTE.plusSeconds(60));
    long start = MINUTE.toEpochMilli();
    assertThat(minute.resetHeader(start + 48_001)).isEqualTo("12s");
    assertThat(minute.resetHeader(start + 48_500)).isEqualTo("12s");
    assertThat(minute.resetHeader(start + 49_000)).isEqualTo("11s");
    assertThat(minute.resetHeader(start + 60_000)).isEqualTo("0s");
    assertThat(minute.resetHeader(start + 70_000)).isEqualTo("0s");
    Lease day = new Lease(new LeaseKey("key", "k", LeaseKey.Kind.BUDGET, MINUTE), "d", 60, MINUTE.plusSeconds(63));
    assertThat(day.resetHeader(start)).isEqualTo("1m3s");
    Lease concurrency = new Lease(new LeaseKey("key", "k", LeaseKey.Kind.CONCURRENCY, null), "d", 5, null);
    assertThat(concurrency.resetHeader(start)).isNull();
    assertThat(concurrency.limitText()).isEqualTo("5");
  }
}
