package dev.spillway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotCodecTest {
  private final SnapshotCodec codec = new SnapshotCodec();

  static SnapshotConfig sample(long version) {
    TeamConfig team = new TeamConfig("t1", "demo", new BudgetConfig(new BigDecimal("10.000000"), BudgetPeriod.MONTHLY),
        new RateLimitConfig(600, 100_000, 20), new CacheConfig(CacheMode.EXACT, 0.95, 3600));
    VirtualKeyConfig key = new VirtualKeyConfig("k1", "demo key", "t1", Sha256.hex("sk-sw-demo"), "sk-sw-demo",
        List.of("demo", "mock/echo"), null, null, null, null);
    VirtualKeyConfig key2 = new VirtualKeyConfig("k2", "second", "t1", Sha256.hex("sk-sw-other"), "sk-sw-othe",
        List.of(), null, new RateLimitConfig(10, null, null), null, Instant.parse("2030-01-01T00:00:00Z"));
    ProviderConfig mock = new ProviderConfig("p1", "mock", ProviderType.MOCK, null, List.of(),
        Map.of("latency_ms", "0"), null);
    ProviderConfig openai = new ProviderConfig("p2", "openai", ProviderType.OPENAI, "https://api.openai.com/v1",
        List.of(new ProviderKeyConfig("main", 1, "v1.sealed")), Map.of(), new TimeoutsConfig(1000, 0, 0, 0));
    RouteConfig route = new RouteConfig("r1", "demo", List.of(new RouteTargetConfig("mock", "echo", 1)),
        List.of(new RouteTargetConfig("openai", "gpt-4o-mini", 0)), new RetryConfig(2, 100));
    PriceConfig price = new PriceConfig("openai", "gpt-4o-mini", new BigDecimal("0.15"), new BigDecimal("0.60"),
        new BigDecimal("0.075"));
    return new SnapshotConfig(SnapshotConfig.KIND_FULL, version, Instant.parse("2026-11-25T10:00:00Z"),
        new OrganizationConfig("o1", "default", null, null), List.of(team), List.of(key, key2),
        List.of(mock, openai), List.of(route), List.of(price));
  }

  @Test
  void roundTripsEverythingThroughGzippedCanonicalJson() {
    SnapshotConfig snapshot = sample(7);
    EncodedSnapshot encoded = codec.encode(snapshot);

    SnapshotConfig decoded = codec.decode(encoded.gzipped(), encoded.sha256());

    assertThat(decoded).isEqualTo(snapshot);
    assertThat(encoded.version()).isEqualTo(7);
    assertThat(encoded.rawSize()).isEqualTo(codec.toCanonicalJson(snapshot).length);
  }

  @Test
  void encodesTheSameContentToTheSameBytesWhateverTheInputOrder() {
    SnapshotConfig snapshot = sample(3);
    List<VirtualKeyConfig> reversedKeys = new ArrayList<>(snapshot.virtualKeys());
    Collections.reverse(reversedKeys);
    List<ProviderConfig> reversedProviders = new ArrayList<>(snapshot.providers());
    Collections.reverse(reversedProviders);
    SnapshotConfig shuffled = new SnapshotConfig(snapshot.kind(), snapshot.version(), snapshot.createdAt(),
        snapshot.organization(), snapshot.teams(), reversedKeys, reversedProviders, snapshot.routes(),
        snapshot.prices());

    assertThat(codec.encode(shuffled).sha256()).isEqualTo(codec.encode(snapshot).sha256());
    assertThat(codec.toCanonicalJson(shuffled)).isEqualTo(codec.toCanonicalJson(snapshot));
  }

  @Test
  void writesSnakeCaseSortedJsonWithPlainDecimalsAndNoNulls() {
    String json = new String(codec.toCanonicalJson(sample(1)), java.nio.charset.StandardCharsets.UTF_8);

    assertThat(json).startsWith("{\"cache_invalidations\":[],\"created_at\":\"2026-11-25T10:00:00Z\",\"kind\":\"full\",");
    assertThat(json).contains("\"limit_usd\":10,", "\"max_concurrent\":20", "\"type\":\"mock\"",
        "\"input_per_mtok_usd\":0.15");
    assertThat(json).doesNotContain("null", "\n", "E+");
  }

  @Test
  void treatsEqualBudgetsWithDifferentScaleAsTheSame() {
    BudgetConfig a = new BudgetConfig(new BigDecimal("100.000000"), BudgetPeriod.DAILY);
    BudgetConfig b = new BudgetConfig(new BigDecimal("100"), BudgetPeriod.DAILY);

    assertThat(a).isEqualTo(b);
  }

  @Test
  void refusesASnapshotWhoseHashDoesNotMatch() {
    EncodedSnapshot encoded = codec.encode(sample(1));
    String otherHash = Sha256.hex("something else");

    assertThatThrownBy(() -> codec.decode(encoded.gzipped(), otherHash))
        .isInstanceOf(InvalidSnapshotException.class)
        .hasMessageContaining("hash mismatch");
  }

  @Test
  void refusesCorruptedGzip() {
    EncodedSnapshot encoded = codec.encode(sample(1));
    byte[] corrupted = encoded.gzipped().clone();
    corrupted[corrupted.length / 2] ^= 0x5a;

    assertThatThrownBy(() -> codec.decode(corrupted, encoded.sha256()))
        .isInstanceOf(InvalidSnapshotException.class);
    assertThatThrownBy(() -> codec.decode(Arrays.copyOf(encoded.gzipped(), 10), encoded.sha256()))
        .isInstanceOf(InvalidSnapshotException.class);
  }

  @Test
  void refusesJsonThatDoesNotFitTheSchema() {
    byte[] raw = "{\"kind\":\"full\",\"version\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    assertThatThrownBy(() -> codec.parse(raw)).isInstanceOf(InvalidSnapshotException.class);
  }

  @Test
  void refusesToInflateBeyondTheLimit() {
    SnapshotCodec small = new SnapshotCodec(100);
    EncodedSnapshot encoded = codec.encode(sample(1));

    assertThatThrownBy(() -> small.decode(encoded.gzipped(), encoded.sha256()))
        .isInstanceOf(InvalidSnapshotException.class)
        .hasMessageContaining("inflates beyond 100 bytes");
  }

  @Test
  void roundTripsRoutingSettingsRulesBreakersAndKeyMetadata() {
    SnapshotConfig base = sample(3);
    RouteConfig route = new RouteConfig("r2", "fast", List.of(new RouteTargetConfig("openai", "gpt-4o", 1)),
        List.of(), new RetryConfig(3, 50, 2_000L, 4_000L, 15_000L), RoutingStrategy.HEADROOM, false);
    ProviderConfig openai = new ProviderConfig("p2", "openai", ProviderType.OPENAI, "https://api.openai.com/v1",
        List.of(new ProviderKeyConfig("main", 1, "v1.sealed")), Map.of(), null,
        new BreakerConfig(3, 40, 5, 10, 2_000L, null, null));
    VirtualKeyConfig key = new VirtualKeyConfig("k3", "tagged", "t1", Sha256.hex("sk-sw-tagged"), "sk-sw-tagg",
        List.of(), null, null, null, null, Map.of("tier", "gold"));
    RoutingRuleConfig rule = new RoutingRuleConfig("rr1", "gold to fast", 10, "t1", Map.of("tier", "gold"),
        Map.of("x-region", "eu"), "gpt-*", "fast");
    List<RouteConfig> routes = new ArrayList<>(base.routes());
    routes.add(route);
    SnapshotConfig snapshot = new SnapshotConfig(base.kind(), base.version(), base.createdAt(), base.organization(),
        base.teams(), List.of(key), List.of(openai), routes, List.of(), List.of(rule));
    EncodedSnapshot encoded = codec.encode(snapshot);

    SnapshotConfig decoded = codec.decode(encoded.gzipped(), encoded.sha256());

    assertThat(decoded).isEqualTo(snapshot);
    assertThat(decoded.routes()).filteredOn(r -> r.model().equals("fast")).singleElement()
        .satisfies(r -> {
          assertThat(r.strategy()).isEqualTo(RoutingStrategy.HEADROOM);
          assertThat(r.isSticky()).isFalse();
          assertThat(r.retry().deadlineMs()).isEqualTo(15_000L);
        });
    assertThat(decoded.providers().get(0).breaker().consecutiveFailures()).isEqualTo(3);
    assertThat(decoded.providers().get(0).breaker().rateLimitCooldownMs()).isEqualTo(5_000L);
    assertThat(new String(codec.toCanonicalJson(snapshot), java.nio.charset.StandardCharsets.UTF_8))
        .contains("\"strategy\":\"headroom\"", "\"routing_rules\":[{", "\"model_pattern\":\"gpt-*\"",
            "\"metadata\":{\"tier\":\"gold\"}");
  }

  @Test
  void readsASnapshotFromBeforeRoutingSettingsWithTheirDefaults() {
    String json = new String(codec.toCanonicalJson(sample(1)), java.nio.charset.StandardCharsets.UTF_8)
        .replaceAll(",\"sticky\":true", "").replaceAll(",\"strategy\":\"weighted\"", "")
        .replaceAll("\"breaker\":\\{[^}]*\\},", "");
    assertThat(json).doesNotContain("sticky", "strategy", "breaker");

    SnapshotConfig parsed = codec.parse(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));

    assertThat(parsed).isEqualTo(sample(1));
    assertThat(parsed.routes().get(0).strategy()).isEqualTo(RoutingStrategy.WEIGHTED);
    assertThat(parsed.providers().get(0).breaker()).isEqualTo(BreakerConfig.DEFAULTS);
  }

  @Test
  void readsASnapshotWrittenBeforeRoutingSettingsExisted() {
    // Verbatim shape of a snapshot from before issue 11 (a node's disk, or a control plane not yet upgraded): retry
    // without its ceilings and deadline, no strategy, sticky, breaker, metadata or routing rules.
    String json = "{\"created_at\":\"2026-11-25T10:00:00Z\",\"kind\":\"full\",\"organization\":{\"id\":\"o1\","
        + "\"name\":\"default\"},\"prices\":[],\"providers\":[{\"id\":\"p1\",\"keys\":[],\"name\":\"mock\","
        + "\"settings\":{},\"type\":\"mock\"}],\"routes\":[{\"fallbacks\":[],\"id\":\"r1\",\"model\":\"demo\","
        + "\"retry\":{\"initial_backoff_ms\":100,\"max_attempts\":2},\"targets\":[{\"model\":\"echo\","
        + "\"provider\":\"mock\",\"weight\":1}]}],\"teams\":[{\"id\":\"t1\",\"name\":\"demo\"}],"
        + "\"version\":4,\"virtual_keys\":[{\"id\":\"k1\",\"key_hash\":\"" + Sha256.hex("sk-sw-demo")
        + "\",\"key_prefix\":\"sk-sw-demo\",\"models\":[],\"name\":\"demo\",\"team_id\":\"t1\"}]}";

    SnapshotConfig parsed = codec.parse(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));

    RouteConfig route = parsed.routes().get(0);
    assertThat(route.retry()).isEqualTo(new RetryConfig(2, 100));
    assertThat(route.retry().maxBackoffMs()).isEqualTo(RetryConfig.DEFAULT_MAX_BACKOFF_MS);
    assertThat(route.retry().deadlineMs()).isZero();
    assertThat(route.strategy()).isEqualTo(RoutingStrategy.WEIGHTED);
    assertThat(route.isSticky()).isTrue();
    assertThat(parsed.providers().get(0).breaker()).isEqualTo(BreakerConfig.DEFAULTS);
    assertThat(parsed.virtualKeys().get(0).metadata()).isEmpty();
    assertThat(parsed.routingRules()).isEmpty();
    assertThat(SnapshotValidator.problems(parsed)).isEmpty();
  }

  @Test
  void toleratesFieldsAddedByANewerControlPlane() {
    String json = new String(codec.toCanonicalJson(sample(1)), java.nio.charset.StandardCharsets.UTF_8)
        .replace("{\"created_at\"", "{\"future_field\":{\"x\":1},\"created_at\"");

    SnapshotConfig parsed = codec.parse(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));

    assertThat(parsed).isEqualTo(sample(1));
  }
}
