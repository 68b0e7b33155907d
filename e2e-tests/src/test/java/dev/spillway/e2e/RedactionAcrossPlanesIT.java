package dev.spillway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.dataplane.SpillwayNode;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.OtlpReceiver;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * A team whose request logs are {@code redacted}: a prompt carrying a provider key, a bearer token, an e-mail address
 * and a card number reaches the provider as sent, and none of them reaches PostgreSQL (request log and usage
 * event), the log lines of the node and the control plane, or any span (issue 13's acceptance).
 */
class RedactionAcrossPlanesIT {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final String PROVIDER_KEY = "sk-proj-Zx81Qm20Lp93Vb47Nc56";
  static final String BEARER = "Bearer ya29.a0AfH6SMBx9Qw3Er5Ty7Ui";
  static final String EMAIL = "grace.hopper@navy.example.org";
  static final String CARD = "5555 5555 5555 4444";
  static final List<String> SECRETS = List.of(PROVIDER_KEY, "ya29.a0AfH6SMBx9Qw3Er5Ty7Ui", EMAIL, CARD);

  static Stack stack;
  static FakeProvider provider;
  static OtlpReceiver spans;
  static SpillwayNode node;
  static String key;

  @BeforeAll
  static void start() throws Exception {
    provider = FakeProvider.start();
    spans = OtlpReceiver.start();
    stack = new Stack("e2e_redaction").startControlPlane(Map.of());
    String teamId = JSON.readTree(stack.admin("POST", "/api/v1/teams",
        "{\"name\":\"careful\",\"logging\":{\"content\":\"redacted\",\"retention_days\":7}}").body()).path("id")
        .asString();
    stack.openAiAssistantRoute(provider.baseUrl(), false);
    key = stack.createKey(teamId);
    node = stack.startNode(Files.createTempDirectory("e2e-redaction"), stack.controlPlaneUri(),
        Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", spans.endpoint().toString(), "OTEL_BSP_SCHEDULE_DELAY", "50",
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true"));
    stack.awaitCurrentSnapshot(List.of(node));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    stack.close();
    provider.close();
    spans.close();
  }

  HttpResponse<String> chat(String content, boolean stream) {
    String body = JSON.createObjectNode().put("model", "assistant").put("stream", stream)
        .set("messages", JSON.createArrayNode().add(JSON.createObjectNode().put("role", "user")
            .put("content", content))).toString();
    return stack.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/v1/chat/completions"))
        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  @Test
  void noSecretReachesTheDatabaseTheLogsOrASpan() throws Exception {
    String prompt = "Use key " + PROVIDER_KEY + " with header Authorization: " + BEARER + ", mail " + EMAIL
        + " and charge card " + CARD;
    provider.respondWith(FakeResponse.chat().content("I will mail " + EMAIL));
    HttpResponse<String> answered = chat(prompt, false);
    provider.respondWith(FakeResponse.stream().chunks(List.of("Card ", CARD, " noted")));
    HttpResponse<String> streamed = chat(prompt, true);
    provider.respondWith(FakeResponse.error(400, "Rejected content for " + EMAIL));
    HttpResponse<String> refused = chat(prompt, false);

    assertThat(answered.statusCode()).isEqualTo(200);
    assertThat(streamed.statusCode()).isEqualTo(200);
    assertThat(refused.statusCode()).isEqualTo(400);
    // The provider saw the prompt as the client sent it: redaction is for what Spillway keeps, not what it relays.
    assertThat(provider.lastRequest().body()).contains(EMAIL, CARD, PROVIDER_KEY);
    List<String> ids = List.of(answered, streamed, refused).stream()
        .map(r -> r.headers().firstValue("x-request-id").orElseThrow()).toList();

    List<String> rows = await().atMost(Duration.ofSeconds(20)).until(() -> stored(ids), r -> r.size() == 6);
    await().atMost(Duration.ofSeconds(10)).until(() -> spans.spans().size() >= 6);

    assertThat(String.join("\n", rows)).contains("[REDACTED:email]", "[REDACTED:card_number]",
        "[REDACTED:api_key]", "[REDACTED:bearer_token]");
    List<String> logs = CapturedLogs.lines();
    assertThat(logs).isNotEmpty();
    String allSpans = spans.spans().toString();
    // The spans carry the conversation (the node captures content, the team keeps it), redacted.
    assertThat(allSpans).contains("gen_ai.input.messages", "gen_ai.output.messages", "[REDACTED:email]",
        "[REDACTED:card_number]", "[REDACTED:api_key]");
    for (String secret : SECRETS) {
      assertThat(rows).as("request_logs and usage_events rows").noneMatch(row -> row.contains(secret));
      assertThat(logs).as("log lines").noneMatch(line -> line.contains(secret));
      assertThat(allSpans).as("spans").doesNotContain(secret);
    }
  }

  /** Every column of the requests' request_logs and usage_events rows as text, bodies decompressed. */
  static List<String> stored(List<String> ids) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = stack.db.connect()) {
      for (String table : List.of("request_logs", "usage_events")) {
        try (PreparedStatement s = c.prepareStatement("SELECT * FROM " + table + " WHERE request_id = ANY (?)")) {
          s.setArray(1, c.createArrayOf("text", ids.toArray()));
          try (ResultSet rs = s.executeQuery()) {
            ResultSetMetaData meta = rs.getMetaData();
            while (rs.next()) {
              StringBuilder row = new StringBuilder(table);
              for (int i = 1; i <= meta.getColumnCount(); i++) {
                Object value = rs.getObject(i);
                row.append(' ').append(meta.getColumnName(i)).append('=').append(value instanceof byte[] bytes
                    ? gunzip(bytes) : String.valueOf(value));
              }
              rows.add(row.toString());
            }
          }
        }
      }
    }
    return rows;
  }

  static String gunzip(byte[] bytes) throws Exception {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
