package dev.spillway.dataplane.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.config.CacheConfig;
import dev.spillway.config.CacheMode;
import dev.spillway.config.TeamConfig;
import dev.spillway.config.VirtualKeyConfig;
import dev.spillway.dataplane.error.GatewayException;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import org.junit.jupiter.api.Test;

class CachePolicyTest {
  static final CacheSettings DEFAULTS = CacheSettings.memoryOnly();

  static VirtualKeyConfig key(CacheConfig cache) {
    return new VirtualKeyConfig("k", "k", "t", "0".repeat(64), "sk-sw-", List.of(), null, null, cache, null);
  }

  static TeamConfig team(CacheConfig cache) {
    return new TeamConfig("t", "t", null, null, cache);
  }

  @Test
  void theKeyWinsOverItsTeamFieldByFieldAndTheNodeFillsTheRest() {
    CachePolicy policy = CachePolicy.resolve(key(new CacheConfig(CacheMode.EXACT, null, null)),
        team(new CacheConfig(CacheMode.SEMANTIC, 0.9, 60, true)), DEFAULTS, new DefaultHttpHeaders());

    assertThat(policy.mode()).isEqualTo(CacheMode.EXACT);
    assertThat(policy.threshold()).isEqualTo(0.9);
    assertThat(policy.ttlSeconds()).isEqualTo(60);
    assertThat(policy.shadow()).isTrue();
    assertThat(policy.read()).isTrue();

    CachePolicy none = CachePolicy.resolve(key(null), team(null), DEFAULTS, new DefaultHttpHeaders());
    assertThat(none.engaged()).isFalse();
    assertThat(none.threshold()).isEqualTo(DEFAULTS.defaultThreshold());
    assertThat(none.ttlSeconds()).isEqualTo(DEFAULTS.defaultTtl().getSeconds());
  }

  @Test
  void theRequestsHeadersOverrideThresholdAndTtlAndRefreshSkipsTheRead() {
    HttpHeaders headers = new DefaultHttpHeaders().set("x-spillway-cache", "Refresh")
        .set("x-spillway-cache-threshold", "0.97").set("x-spillway-cache-ttl", "30");

    CachePolicy policy = CachePolicy.resolve(key(new CacheConfig(CacheMode.SEMANTIC, 0.9, 600)), null, DEFAULTS,
        headers);

    assertThat(policy.threshold()).isEqualTo(0.97);
    assertThat(policy.ttlSeconds()).isEqualTo(30);
    assertThat(policy.read()).isFalse();
  }

  @Test
  void unreadableDirectivesAreRefusedNamingTheHeader() {
    for (String[] bad : new String[][] {{"x-spillway-cache", "sometimes"}, {"x-spillway-cache-threshold", "1.2"},
        {"x-spillway-cache-threshold", "high"}, {"x-spillway-cache-ttl", "0"}, {"x-spillway-cache-ttl", "604801"},
        {"x-spillway-cache-ttl", "1.5"}}) {
      HttpHeaders headers = new DefaultHttpHeaders().set(bad[0], bad[1]);
      assertThatThrownBy(() -> CachePolicy.validate(headers)).isInstanceOf(GatewayException.class)
          .satisfies(e -> assertThat(((GatewayException) e).param()).isEqualTo(bad[0]));
    }
  }
}
