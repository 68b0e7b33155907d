package dev.spillway.dataplane.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RateLimitHeadersTest {
  @Test
  void readsOpenAiRemainingLimitsAndResetDurations() {
    long now = System.nanoTime();
    RateLimitHeaders.Room room = RateLimitHeaders.read(new DefaultHttpHeaders()
        .set("x-ratelimit-remaining-requests", "0").set("x-ratelimit-limit-requests", "500")
        .set("x-ratelimit-reset-requests", "6m0s").set("x-ratelimit-remaining-tokens", "1500")
        .set("x-ratelimit-limit-tokens", "3000").set("x-ratelimit-reset-tokens", "20ms"), now);

    assertThat(room.remainingRequests()).isZero();
    assertThat(room.resetRequestsNanos() - now).isEqualTo(360_000_000_000L);
    assertThat(room.resetTokensNanos() - now).isEqualTo(20_000_000L);
    assertThat(room.exhaustedAt(now + 1_000_000_000L)).isTrue();
    assertThat(room.exhaustedAt(now + 361_000_000_000L)).isFalse();
    assertThat(RateLimitHeaders.durationNanos("1h2m3.5s")).isEqualTo(3_723_500_000_000L);
    assertThat(RateLimitHeaders.durationNanos("soon")).isZero();
  }

  @Test
  void readsAnthropicRemainingWithRfc3339Resets() {
    long now = System.nanoTime();
    RateLimitHeaders.Room room = RateLimitHeaders.read(new DefaultHttpHeaders()
        .set("anthropic-ratelimit-requests-remaining", "40").set("anthropic-ratelimit-requests-limit", "50")
        .set("anthropic-ratelimit-requests-reset", Instant.now().plusSeconds(30).toString())
        .set("anthropic-ratelimit-tokens-remaining", "8000").set("anthropic-ratelimit-tokens-limit", "10000"), now);

    assertThat(room.share(now)).isCloseTo(0.8, within(0.0001));
    assertThat((room.resetRequestsNanos() - now) / 1e9).isCloseTo(30, within(1.0));
  }

  @Test
  void aResponseWithoutRateLimitHeadersSaysNothing() {
    assertThat(RateLimitHeaders.read(new DefaultHttpHeaders().set("content-type", "application/json"), 0)).isNull();
    assertThat(RateLimitHeaders.Room.UNKNOWN.share(System.nanoTime())).isEqualTo(1.0);
  }
}
