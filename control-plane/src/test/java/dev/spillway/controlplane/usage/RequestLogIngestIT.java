package dev.spillway.controlplane.usage;

import static dev.spillway.controlplane.usage.UsageLine.batch;
import static dev.spillway.controlplane.usage.UsageLine.event;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Request logs arrive inside usage events and are stored with them, in the same statement: exactly one
 * {@code request_logs} row per stored usage event, however often a batch or a line repeats, with the node's log
 * detail (attempts, bodies) as sent.
 */
class RequestLogIngestIT extends ControlPlaneIntegrationTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private JsonNode stored(String ndjson) {
    return assertStatus(node().send("POST", "/internal/v1/usage", "application/x-ndjson", ndjson), 200);
  }

  private long count(String table, String prefix) {
    return jdbc.sql("SELECT count(*) FROM " + table + " WHERE request_id LIKE ?").param(prefix + "%")
        .query(Long.class).single();
  }

  private static Instant recently() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofMinutes(5));
  }

  static String gzipBase64(String text) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }

  static String gunzip(byte[] bytes) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void everyStoredEventHasExactlyOneLogRecordWhateverRepeats() {
    UUID team = UUID.fromString(createTeam(unique("logs")).get("id").stringValue());
    UUID key = UUID.randomUUID();
    String p = unique("rl");
    Instant at = recently();
    UsageLine withLog = event(p + "-1", at).key(team, key).log("{\"user_agent\":\"OpenAI/Java 4.0\","
        + "\"requested_model\":\"assistant\",\"attempts\":[],\"content_policy\":\"none\"}");
    // From a node older than request logs: the event alone makes the record.
    UsageLine withoutLog = event(p + "-2", at.plusMillis(1)).key(team, key).status(502);

    stored(batch(withLog, withoutLog, withLog));
    stored(batch(withLog, withoutLog));

    assertThat(count("usage_events", p)).isEqualTo(2);
    assertThat(count("request_logs", p)).isEqualTo(2);
    Map<String, Object> old = jdbc.sql("SELECT status_code, client_api, content_policy, attempts::text AS attempts "
        + "FROM request_logs WHERE request_id = ?").param(p + "-2").query().singleRow();
    assertThat(old).containsEntry("status_code", 502).containsEntry("client_api", "chat")
        .containsEntry("content_policy", "none").containsEntry("attempts", "[]");
  }

  @Test
  void storesTheNodesDetailAttemptsAndBodies() throws Exception {
    UUID team = UUID.fromString(createTeam(unique("logs")).get("id").stringValue());
    UUID key = UUID.randomUUID();
    String p = unique("rl");
    String request = "{\"model\":\"assistant\",\"messages\":[{\"role\":\"user\",\"content\":\"hi [REDACTED:email]\"}]}";
    String answer = "{\"id\":\"chatcmpl-1\",\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"hello\"}}]}";
    String log = "{\"user_agent\":\"curl/8\",\"requested_model\":\"assistant\",\"error_message\":null,"
        + "\"replay_of\":\"req-original\",\"attempts\":[{\"provider\":\"p0\",\"model\":\"m\",\"status_code\":500,"
        + "\"error_code\":\"upstream_error\",\"started_ms\":0,\"latency_ms\":12,\"extra\":\"dropped\"},"
        + "{\"provider\":\"p1\",\"model\":\"m\",\"status_code\":200,\"error_code\":null,\"started_ms\":15,"
        + "\"latency_ms\":30}],\"content_policy\":\"redacted\",\"request_body\":\"" + gzipBase64(request)
        + "\",\"response_body\":\"" + gzipBase64(answer) + "\",\"request_truncated\":false,"
        + "\"response_truncated\":true}";

    stored(batch(event(p + "-1", recently()).key(team, key).log(log)));

    Map<String, Object> row = jdbc.sql("SELECT user_agent, requested_model, replay_of, content_policy, "
        + "attempts::text AS attempts, request_body, response_body, request_truncated, response_truncated, "
        + "team_id, key_id, input_tokens FROM request_logs WHERE request_id = ?").param(p + "-1").query().singleRow();
    assertThat(row).containsEntry("user_agent", "curl/8").containsEntry("requested_model", "assistant")
        .containsEntry("replay_of", "req-original").containsEntry("content_policy", "redacted")
        .containsEntry("request_truncated", false).containsEntry("response_truncated", true)
        .containsEntry("team_id", team).containsEntry("key_id", key).containsEntry("input_tokens", 10L);
    JsonNode attempts = JSON.readTree((String) row.get("attempts"));
    assertThat(attempts).hasSize(2);
    assertThat(attempts.get(0).path("status_code").asInt()).isEqualTo(500);
    assertThat(attempts.get(0).has("extra")).isFalse();
    assertThat(attempts.get(1).path("started_ms").asInt()).isEqualTo(15);
    assertThat(gunzip((byte[]) row.get("request_body"))).isEqualTo(request);
    assertThat(gunzip((byte[]) row.get("response_body"))).isEqualTo(answer);
  }

  @Test
  void refusesAMalformedLogNamingTheField() {
    String p = unique("rl");
    var answer = node().send("POST", "/internal/v1/usage", "application/x-ndjson",
        batch(event(p + "-1", recently()).log("{\"content_policy\":\"everything\"}")));

    JsonNode error = assertStatus(answer, 400);
    assertThat(error.toString()).contains("content_policy").contains("line 1");
    var notBase64 = node().send("POST", "/internal/v1/usage", "application/x-ndjson",
        batch(event(p + "-2", recently()).log("{\"request_body\":\"not base64!\"}")));
    assertThat(assertStatus(notBase64, 400).toString()).contains("request_body");
    assertThat(count("usage_events", p)).isZero();
  }
}
