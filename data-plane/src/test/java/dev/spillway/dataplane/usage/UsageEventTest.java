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

  @Test
  void anyTextSurvivesTheLineWithItsLogRecord() {
    java.util.Random random = new java.util.Random(20261207);
    for (int round = 0; round < 500; round++) {
      String text = randomText(random);
      RequestLog log = new RequestLog(text, "gpt", text, null, java.util.List.of(
          new AttemptRecord("oai", text, 503, "upstream_error", 0, 12),
          new AttemptRecord("backup", "m", 200, null, 13, 40)), "none", null, null, false, false);
      UsageEvent event = new UsageEvent("req-" + round, Instant.EPOCH, "n", "o", "t", "k", text, "p", "m",
          "chat_completions", 200, null, 1, 2, 0, 0, BigDecimal.ZERO, false, UsageEvent.SOURCE_PROVIDER, null, null,
          BigDecimal.ZERO, 2, 3, null, false, false, null).withLog(log);

      byte[] line = event.toJsonLine();
      JsonNode json = Json.parse(java.util.Arrays.copyOf(line, line.length - 1));

      // Lone surrogates included: written as \\u escapes, they read back as the same chars.
      String expected = text;
      assertThat(json.path("route").asString()).as("round %d", round).isEqualTo(expected);
      assertThat(json.path("ttft_ms").isNull()).isTrue();
      assertThat(json.path("log").path("user_agent").asString()).isEqualTo(expected);
      assertThat(json.path("log").path("attempts")).hasSize(2);
      assertThat(json.path("log").path("attempts").get(0).path("model").asString()).isEqualTo(expected);
      assertThat(json.path("log").path("attempts").get(1).path("started_ms").asLong()).isEqualTo(13);
      assertThat(json.path("log").path("request_body").isNull()).isTrue();
    }
  }

  /** Printable ASCII, quotes, backslashes, controls, accents, CJK, emoji (surrogate pairs) and lone surrogates. */
  private static String randomText(java.util.Random random) {
    String[] pieces = {"a", "Z", " ", "\"", "\\", "\n", "\r", "\t", "\u0000", "\u001f", "\u007f", "é", "ß", "中",
        "\u2028", "\u2029", "😀", "\ud83d", "\ude00", "/", "<", "}"};
    StringBuilder b = new StringBuilder();
    for (int i = random.nextInt(40); i > 0; i--) {
      b.append(pieces[random.nextInt(pieces.length)]);
    }
    return b.toString();
  }
}
