package dev.spillway.dataplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.json.Json;
import java.math.BigDecimal;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The hand-written wire line is JSON that any parser reads back to the same values, awkward text included. */
class UsageEventTest {
  @Test
  void aLineParsesBackToItsValues() {
    String awkward = "route \"quoted\" \\ back\nslash\t\u0001 é 😀 \u2028";
    UsageEvent event = new UsageEvent("req-1", Instant.parse("2026-12-07T13:31:00.123456Z"), "node:8000", "org",
        "team", "key", awkward, "oai", "gpt-4o", "chat_completions", 200, null, 10, 20, 3, 4,
        new BigDecimal("0.000012345"), false, UsageEvent.SOURCE_PROVIDER, "hit-semantic", 0.93456,
        new BigDecimal("0.00042"), 1, 12, 5L, true, false,
        "key 'k' limit of 2 requests per minute");

    byte[] line = event.toJsonLine();
    assertThat(line[line.length - 1]).isEqualTo((byte) '\n');
    JsonNode json = Json.parse(java.util.Arrays.copyOf(line, line.length - 1));

    assertThat(json.path("route").asString()).isEqualTo(awkward);
    assertThat(json.path("occurred_at").asString()).isEqualTo("2026-12-07T13:31:00.123456Z");
    assertThat(json.path("error_code").isNull()).isTrue();
    assertThat(json.path("status_code").asInt()).isEqualTo(200);
    assertThat(json.path("reasoning_tokens").asLong()).isEqualTo(4);
    assertThat(new BigDecimal(json.path("cost_usd").asString())).isEqualByComparingTo("0.000012345");
    assertThat(json.path("ttft_ms").asLong()).isEqualTo(5);
    assertThat(json.path("streamed").asBoolean()).isTrue();
    assertThat(json.path("shadow_refusal").asString()).isEqualTo("key 'k' limit of 2 requests per minute");
    assertThat(json.path("cache_status").asString()).isEqualTo("hit-semantic");
    assertThat(json.path("cache_similarity").asDouble()).isEqualTo(0.9346);
    assertThat(new BigDecimal(json.path("cache_saved_usd").asString())).isEqualByComparingTo("0.00042");
    assertThat(json.size()).isEqualTo(28);
  }
}
