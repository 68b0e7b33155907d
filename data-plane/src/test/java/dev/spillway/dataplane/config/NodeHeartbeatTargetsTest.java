package dev.spillway.dataplane.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.BreakerConfig;
import dev.spillway.dataplane.routing.RoutingHealth;
import dev.spillway.dataplane.routing.TargetHealth;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;

/** What a heartbeat tells the control plane about each upstream target, in the shape it validates. */
class NodeHeartbeatTargetsTest {
  @Test
  void reportsBreakerLatencyCooldownAndRefusalPerKeyAndModelAndSkipsNamesTooLongToStore() {
    RoutingHealth health = new RoutingHealth();
    TargetHealth openOne = health.target("openai", "main", "gpt-4o", new BreakerConfig(2, null, null, null, null,
        null, null));
    openOne.failed(1_000_000);
    openOne.failed(1_000_000);
    TargetHealth measured = health.target("openai", "backup", "gpt-4o", BreakerConfig.DEFAULTS);
    measured.answered(12_340_000);
    long now = System.nanoTime();
    measured.key().coolDown(now + 30_000_000_000L);
    measured.key().markBad(now);
    health.target("openai", "main", "x".repeat(201), BreakerConfig.DEFAULTS);

    ArrayNode targets = NodeHeartbeat.targets(health, now, Instant.parse("2026-12-07T10:00:00Z"));

    assertThat(targets).hasSize(2);
    JsonNode backup = targets.get(0);
    assertThat(backup.path("key").asString()).isEqualTo("backup");
    assertThat(backup.path("breaker").asString()).isEqualTo("closed");
    assertThat(backup.path("ewma_ttfb_ms").asDouble()).isEqualTo(12.3);
    assertThat(backup.path("cooldown_until").asString()).isEqualTo("2026-12-07T10:00:30Z");
    assertThat(backup.path("bad_key").asBoolean()).isTrue();
    JsonNode main = targets.get(1);
    assertThat(main.path("breaker").asString()).isEqualTo("open");
    assertThat(main.path("error_rate").asDouble()).isEqualTo(1.0); // 2 of 2, below the breaker's minimum of calls
    assertThat(main.has("ewma_ttfb_ms")).isFalse();
    assertThat(main.has("cooldown_until")).isFalse();
    assertThat(main.path("in_flight").asInt()).isZero();
  }
}
