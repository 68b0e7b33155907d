package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.ContentPolicy;
import dev.spillway.config.LoggingConfig;
import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Each request's log record, as a node ships it inside its usage event: the client, the model asked for, every
 * attempt, and the content the key's policy keeps, redacted on the node before anything leaves it.
 */
@ExtendWith(NoLeaksExtension.class)
class RequestLogIT {
  static final String PLAIN = "sk-sw-logplain000000000000000000000000000000000";
  static final String REDACTED = "sk-sw-logredacted0000000000000000000000000000000";
  static final String FULL = "sk-sw-logfull0000000000000000000000000000000000";
  static final JsonMapper JSON = JsonMapper.builder().build();
  /** What a careless prompt carries: none of it may leave the node under the redacted policy. */
  static final List<String> SECRETS = List.of("sk-proj-Abc123Def456Ghi789Jkl0", "eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl",
      "ada.lovelace@example.com", "4111 1111 1111 1111", "+44 20 7946 0958", "order-204518");
  static final String PROMPT = "My key is sk-proj-Abc123Def456Ghi789Jkl0, header Authorization: Bearer "
      + "eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl, mail ada.lovelace@example.com, card 4111 1111 1111 1111, "
      + "call +44 20 7946 0958 about order-204518; invoice 1234 5678 9012 3456 stays";

  static FakeProvider provider;
  static FakeProvider missing;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;

  @BeforeAll
  static void start() throws Exception {
    provider = FakeProvider.start();
    missing = FakeProvider.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("plain")
        .key("plain", PLAIN)
        .team("careful", new LoggingConfig(ContentPolicy.REDACTED, 7, List.of("order-\\d{6}")))
        .key("careful", REDACTED)
        .key("careful", FULL, new LoggingConfig(ContentPolicy.FULL, null, null))
        .provider("oai", ProviderType.OPENAI, provider.baseUrl(), "sk-openai-secret-000000")
        .provider("gone", ProviderType.OPENAI, missing.baseUrl(), "sk-gone-secret-0000000")
        .route("gpt", "oai/gpt-4o")
        .route("fallback", List.of("gone/gpt-4o"), List.of("oai/gpt-4o"), dev.spillway.config.RetryConfig.NONE)
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("request-log-it"),
        Map.of("SPILLWAY_DP_USAGE_SHIP_MS", "20", "SPILLWAY_DP_LOG_BODY_MAX_KB", "1"));
    TestNodes.awaitVersion(node, 1);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    controlPlane.close();
    provider.close();
    missing.close();
  }

  @BeforeEach
  void reset() {
    provider.reset();
    missing.reset();
    missing.respondWith(FakeResponse.error(404, "The model `gpt-4o` does not exist"));
  }

  static JsonNode logOf(HttpResponse<String> response) {
    String requestId = response.headers().firstValue("x-request-id").orElseThrow();
    JsonNode event = await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.usageEvents().stream()
        .filter(e -> e.path("request_id").asString().equals(requestId)).findFirst().orElse(null),
        java.util.Objects::nonNull);
    assertThat(event.has("log")).as("event has a log record: %s", event).isTrue();
    return event.path("log");
  }

  static String body(JsonNode log, String field) throws IOException {
    if (log.path(field).isNull()) {
      return null;
    }
    byte[] gz = Base64.getDecoder().decode(log.path(field).asString());
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static String chat(String model, String content, boolean stream) {
    return JSON.createObjectNode().put("model", model).put("stream", stream)
        .set("messages", JSON.createArrayNode().add(JSON.createObjectNode().put("role", "user")
            .put("content", content))).toString();
  }

  @Test
  void underTheDefaultPolicyTheRecordHoldsMetadataAndNoContent() throws Exception {
    provider.respondWith(FakeResponse.chat().content("hello there"));

    HttpResponse<String> response = new NodeClient(node, PLAIN).post("/v1/chat/completions",
        chat("gpt", PROMPT, false), "User-Agent", "OpenAI/Java 4.1.0");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode log = logOf(response);
    assertThat(log.path("content_policy").asString()).isEqualTo("none");
    assertThat(log.path("user_agent").asString()).isEqualTo("OpenAI/Java 4.1.0");
    assertThat(log.path("requested_model").asString()).isEqualTo("gpt");
    assertThat(log.path("request_body").isNull()).isTrue();
    assertThat(log.path("response_body").isNull()).isTrue();
    assertThat(log.path("attempts")).hasSize(1);
    assertThat(log.path("attempts").get(0).path("provider").asString()).isEqualTo("oai");
    assertThat(log.path("attempts").get(0).path("status_code").asInt()).isEqualTo(200);
    assertThat(log.toString()).doesNotContain("ada.lovelace");
  }

  @Test
  void underTheRedactedPolicySecretsAndPersonalDataNeverLeaveTheNode() throws Exception {
    provider.respondWith(FakeResponse.chat().content("Noted, ada.lovelace@example.com"));

    HttpResponse<String> response = new NodeClient(node, REDACTED).post("/v1/chat/completions",
        chat("gpt", PROMPT, false));

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode log = logOf(response);
    assertThat(log.path("content_policy").asString()).isEqualTo("redacted");
    String request = body(log, "request_body");
    String answer = body(log, "response_body");
    for (String secret : SECRETS) {
      assertThat(request).doesNotContain(secret);
      assertThat(answer).doesNotContain(secret);
    }
    // Still JSON, with the redactions where the secrets were, and a number that is no card kept.
    JsonNode stored = JSON.readTree(request);
    assertThat(stored.path("messages").get(0).path("content").asString())
        .contains("[REDACTED:api_key]", "[REDACTED:email]", "[REDACTED:card_number]", "[REDACTED:phone]",
            "[REDACTED:custom]", "1234 5678 9012 3456 stays");
    assertThat(JSON.readTree(answer).path("choices").get(0).path("message").path("content").asString())
        .isEqualTo("Noted, [REDACTED:email]");
  }

  @Test
  void aStreamedAnswerIsStoredAssembledInTheClientsApi() throws Exception {
    provider.respondWith(FakeResponse.stream().chunks(List.of("Hel", "lo ", "world")).usage(12, 3));

    HttpResponse<String> response = new NodeClient(node, FULL).post("/v1/chat/completions",
        chat("gpt", PROMPT, true));

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode log = logOf(response);
    assertThat(log.path("content_policy").asString()).isEqualTo("full");
    // The key's own policy is full: nothing redacted.
    assertThat(body(log, "request_body")).contains("ada.lovelace@example.com");
    JsonNode answer = JSON.readTree(body(log, "response_body"));
    assertThat(answer.path("object").asString()).isEqualTo("chat.completion");
    assertThat(answer.path("choices").get(0).path("message").path("content").asString()).isEqualTo("Hello world");
  }

  @Test
  void anAnthropicClientsAnswerIsStoredAsAnAnthropicMessage() throws Exception {
    provider.respondWith(FakeResponse.chat().content("Bonjour"));
    String body = "{\"model\":\"gpt\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    HttpResponse<String> response = new NodeClient(node, FULL).post("/v1/messages", body,
        "anthropic-version", "2023-06-01");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode answer = JSON.readTree(body(logOf(response), "response_body"));
    assertThat(answer.path("type").asString()).isEqualTo("message");
    assertThat(answer.path("content").get(0).path("text").asString()).isEqualTo("Bonjour");
  }

  @Test
  void completionsAndResponsesAnswersAreStoredInTheirOwnApiStreamedOrNot() throws Exception {
    NodeClient client = new NodeClient(node, FULL);
    provider.respondWith(FakeResponse.chat().content("Once upon a time"));
    HttpResponse<String> completion = client.post("/v1/completions",
        "{\"model\":\"gpt\",\"prompt\":\"Tell me a story\"}");
    provider.respondWith(FakeResponse.stream().chunks(List.of("Once ", "upon ", "a time")));
    HttpResponse<String> completionStream = client.post("/v1/completions",
        "{\"model\":\"gpt\",\"prompt\":\"Tell me a story\",\"stream\":true}");
    provider.respondWith(FakeResponse.chat().content("Bonjour"));
    HttpResponse<String> response = client.post("/v1/responses", "{\"model\":\"gpt\",\"input\":\"Say hello\"}");
    provider.respondWith(FakeResponse.stream().chunks(List.of("Bon", "jour")));
    HttpResponse<String> responseStream = client.post("/v1/responses",
        "{\"model\":\"gpt\",\"input\":\"Say hello\",\"stream\":true}");

    for (HttpResponse<String> r : List.of(completion, completionStream, response, responseStream)) {
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
    for (HttpResponse<String> r : List.of(completion, completionStream)) {
      JsonNode log = logOf(r);
      assertThat(JSON.readTree(body(log, "request_body")).path("prompt").asString()).isEqualTo("Tell me a story");
      JsonNode answer = JSON.readTree(body(log, "response_body"));
      assertThat(answer.path("object").asString()).isEqualTo("text_completion");
      assertThat(answer.path("choices").get(0).path("text").asString()).isEqualTo("Once upon a time");
      assertThat(answer.path("choices").get(0).path("finish_reason").asString()).isEqualTo("stop");
    }
    for (HttpResponse<String> r : List.of(response, responseStream)) {
      JsonNode answer = JSON.readTree(body(logOf(r), "response_body"));
      assertThat(answer.path("object").asString()).isEqualTo("response");
      assertThat(answer.path("status").asString()).isEqualTo("completed");
      assertThat(answer.path("output").get(0).path("content").get(0).path("text").asString()).isEqualTo("Bonjour");
    }
  }

  @Test
  void aBodyOverTheNodesCapIsCutAndSaysSo() throws Exception {
    provider.respondWith(FakeResponse.chat().content("short"));
    String longPrompt = "word ".repeat(400) + "mail ada.lovelace@example.com";

    HttpResponse<String> response = new NodeClient(node, REDACTED).post("/v1/chat/completions",
        chat("gpt", longPrompt, false));

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode log = logOf(response);
    String stored = body(log, "request_body");
    // SPILLWAY_DP_LOG_BODY_MAX_KB=1 for this node: cut at a word's edge before 1,024 bytes.
    assertThat(log.path("request_truncated").asBoolean()).isTrue();
    assertThat(stored.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(1024).isGreaterThan(800);
    assertThat(stored).startsWith("{\"model\":\"gpt\"").endsWith(" ").doesNotContain("ada.lovelace");
    assertThat(log.path("response_truncated").asBoolean()).isFalse();
  }

  @Test
  void everyAttemptIsInTheRecordInOrder() throws Exception {
    provider.respondWith(FakeResponse.chat().content("from the fallback"));

    HttpResponse<String> response = new NodeClient(node, PLAIN).post("/v1/chat/completions",
        chat("fallback", "Hi", false));

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode attempts = logOf(response).path("attempts");
    assertThat(attempts).hasSize(2);
    assertThat(attempts.get(0).path("provider").asString()).isEqualTo("gone");
    assertThat(attempts.get(0).path("status_code").asInt()).isEqualTo(404);
    assertThat(attempts.get(1).path("provider").asString()).isEqualTo("oai");
    assertThat(attempts.get(1).path("status_code").asInt()).isEqualTo(200);
    assertThat(attempts.get(1).path("started_ms").asLong())
        .isGreaterThanOrEqualTo(attempts.get(0).path("started_ms").asLong());
  }

  @Test
  void anErrorMessageIsRedactedWhateverThePolicy() throws Exception {
    provider.respondWith(FakeResponse.error(400, "Invalid prompt from ada.lovelace@example.com"));

    HttpResponse<String> response = new NodeClient(node, PLAIN).post("/v1/chat/completions",
        chat("gpt", "Hi", false));

    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode log = logOf(response);
    assertThat(log.path("error_message").asString()).contains("[REDACTED:email]").doesNotContain("ada.lovelace");
    assertThat(log.path("attempts").get(0).path("status_code").asInt()).isEqualTo(400);
  }
}
