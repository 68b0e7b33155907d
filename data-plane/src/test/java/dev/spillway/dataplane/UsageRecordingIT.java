package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.usage.TokenEstimator;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * Every request a node serves leaves one usage event with the control plane: the provider's tokens, the cost under
 * the snapshot's prices, a flag where there is no price, counted tokens where the provider reported none (a client
 * that left mid-stream, a server that sends no stream usage); and none is lost while the control plane refuses usage,
 * nor counted twice when the spool is replayed, also by the next run of the node.
 */
@ExtendWith(NoLeaksExtension.class)
class UsageRecordingIT {
  static final String KEY = "sk-sw-usage00000000000000000000000000000000000";
  static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]%s}";

  static FakeProvider provider;
  static FakeControlPlane controlPlane;
  static Path stateDir;
  static SpillwayNode node;
  static NodeClient client;

  @BeforeAll
  static void start() throws Exception {
    provider = FakeProvider.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("oai", ProviderType.OPENAI, provider.baseUrl(), "sk-openai-secret-000000")
        .provider("compat", ProviderType.OPENAI_COMPATIBLE, provider.baseUrl(), "sk-compat-secret-000000")
        .provider("nousage", ProviderType.OPENAI_COMPATIBLE, provider.baseUrl(), Map.of("stream_usage", "false"),
            null, "sk-nousage-secret-00000")
        .route("gpt", "oai/gpt-4o")
        .route("unpriced", "oai/some-new-model")
        .route("compat", "compat/llama")
        .route("nousage", "nousage/llama")
        .price("oai", "gpt-4o", "2.5", "10", "1.25")
        .price("compat", "llama", "0.1", "0.2", null)
        .price("nousage", "llama", "0.1", "0.2", null)
        .build());
    stateDir = Files.createTempDirectory("usage-recording-it");
    node = TestNodes.start(controlPlane.uri(), stateDir, Map.of("SPILLWAY_DP_USAGE_SHIP_MS", "20"));
    TestNodes.awaitVersion(node, 1);
    client = new NodeClient(node, KEY);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    controlPlane.close();
    provider.close();
  }

  @BeforeEach
  void reset() {
    provider.reset();
    controlPlane.answerUsageWith(200);
  }

  @AfterEach
  void everythingShipped() {
    controlPlane.answerUsageWith(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> node.usageJournal().spooledBytes() == 0);
  }

  static JsonNode eventOf(HttpResponse<String> response) {
    String requestId = response.headers().firstValue("x-request-id").orElseThrow();
    return await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.usageEvents().stream()
        .filter(e -> e.path("request_id").asString().equals(requestId)).findFirst().orElse(null),
        java.util.Objects::nonNull);
  }

  @Test
  void aChatCompletionIsRecordedWithTheProvidersTokensAndItsCost() throws Exception {
    provider.respondWith(FakeResponse.chat().usage(1200, 300));

    HttpResponse<String> response = client.post("/v1/chat/completions", CHAT.formatted("gpt", ""));

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode event = eventOf(response);
    assertThat(event.path("input_tokens").asLong()).isEqualTo(1200);
    assertThat(event.path("output_tokens").asLong()).isEqualTo(300);
    // 1200 × $2.50 + 300 × $10.00 per million tokens
    assertThat(new BigDecimal(event.path("cost_usd").asString())).isEqualByComparingTo("0.006");
    assertThat(event.path("unpriced").asBoolean()).isFalse();
    assertThat(event.path("usage_source").asString()).isEqualTo("provider");
    assertThat(event.path("status_code").asInt()).isEqualTo(200);
    assertThat(event.path("provider").asString()).isEqualTo("oai");
    assertThat(event.path("model").asString()).isEqualTo("gpt-4o");
    assertThat(event.path("route").asString()).isEqualTo("gpt");
    assertThat(event.path("team_id").asString()).isEqualTo("t1");
    assertThat(event.path("org_id").asString()).isEqualTo("org");
    assertThat(event.path("endpoint").asString()).isEqualTo("chat_completions");
    assertThat(event.path("streamed").asBoolean()).isFalse();
    assertThat(event.path("attempts").asInt()).isEqualTo(1);
    assertThat(event.path("node_id").asString()).startsWith("test-node-");
  }

  @Test
  void aStreamIsChargedWithTheUsageSpillwayAskedForEvenWhenTheClientDidNot() throws Exception {
    provider.respondWith(FakeResponse.stream().usage(40, 5));

    HttpResponse<String> response = client.post("/v1/chat/completions", CHAT.formatted("gpt", ",\"stream\":true"));

    assertThat(response.body()).doesNotContain("\"usage\"");
    JsonNode event = eventOf(response);
    assertThat(event.path("input_tokens").asLong()).isEqualTo(40);
    assertThat(event.path("output_tokens").asLong()).isEqualTo(5);
    assertThat(event.path("usage_source").asString()).isEqualTo("provider");
    assertThat(event.path("streamed").asBoolean()).isTrue();
    assertThat(event.path("ttft_ms").isNumber()).isTrue();
    assertThat(event.path("ttft_ms").asLong()).isLessThanOrEqualTo(event.path("latency_ms").asLong());
  }

  @Test
  void aModelWithoutAPriceIsRecordedWithItsTokensAndFlagged() throws Exception {
    provider.respondWith(FakeResponse.chat().usage(100, 20));

    JsonNode event = eventOf(client.post("/v1/chat/completions", CHAT.formatted("unpriced", "")));

    assertThat(event.path("unpriced").asBoolean()).isTrue();
    assertThat(new BigDecimal(event.path("cost_usd").asString())).isZero();
    assertThat(event.path("input_tokens").asLong()).isEqualTo(100);
    assertThat(event.path("output_tokens").asLong()).isEqualTo(20);
  }

  @Test
  void openAiCompatibleProvidersAreAskedForStreamUsageUnlessTheirSettingSaysNo() throws Exception {
    provider.respondWith(FakeResponse.stream().usage(30, 5));
    JsonNode asked = eventOf(client.post("/v1/chat/completions", CHAT.formatted("compat", ",\"stream\":true")));
    assertThat(provider.lastRequest().json().path("stream_options").path("include_usage").asBoolean()).isTrue();
    assertThat(asked.path("usage_source").asString()).isEqualTo("provider");
    assertThat(asked.path("output_tokens").asLong()).isEqualTo(5);

    List<String> chunks = List.of("The quick", " brown fox", " jumps over", " the lazy dog.");
    provider.respondWith(FakeResponse.stream().chunks(chunks).usage(30, 5));
    JsonNode counted = eventOf(client.post("/v1/chat/completions", CHAT.formatted("nousage", ",\"stream\":true")));

    assertThat(provider.lastRequest().json().has("stream_options")).isFalse();
    assertThat(counted.path("usage_source").asString()).isEqualTo("estimated");
    assertThat(counted.path("output_tokens").asLong())
        .isEqualTo(TokenEstimator.countText(String.join("", chunks), "llama"));
    assertThat(counted.path("input_tokens").asLong()).isPositive();
    assertThat(new BigDecimal(counted.path("cost_usd").asString())).isPositive();
  }

  @Test
  void anAnthropicClientStreamingThroughAnOpenAiCompatibleProviderSeesTheInputTokens() throws Exception {
    provider.respondWith(FakeResponse.stream().usage(31, 7));

    HttpResponse<String> response = client.post("/v1/messages", "{\"model\":\"compat\",\"max_tokens\":50,"
        + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "anthropic-version",
        "2023-06-01");

    JsonNode delta = NodeClient.events(response.body()).stream().filter(e -> "message_delta".equals(e.event()))
        .findFirst().orElseThrow().json();
    assertThat(delta.path("usage").path("input_tokens").asLong()).isEqualTo(31);
    assertThat(delta.path("usage").path("output_tokens").asLong()).isEqualTo(7);
    JsonNode event = eventOf(response);
    assertThat(event.path("input_tokens").asLong()).isEqualTo(31);
    assertThat(event.path("endpoint").asString()).isEqualTo("messages");
  }

  @Test
  void aClientThatLeavesMidStreamIsChargedForWhatItWasSent() throws Exception {
    CompletableFuture<Void> never = new CompletableFuture<>();
    List<String> chunks = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      chunks.add(" word" + i);
    }
    provider.respondWith(FakeResponse.stream().chunks(chunks).usage(30, 99).holdAfter(6, never));

    String requestId = "req-leaves-midstream-1";
    String line = TestNodes.readUntilThenHangUp(node, KEY, CHAT.formatted("gpt", ",\"stream\":true"), "word5",
        "x-request-id", requestId);

    assertThat(line).contains("word5");
    JsonNode event = await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.usageEvents().stream()
        .filter(e -> e.path("request_id").asString().equals(requestId)).findFirst().orElse(null),
        java.util.Objects::nonNull);
    assertThat(event.path("client_closed").asBoolean()).isTrue();
    assertThat(event.path("status_code").asInt()).isEqualTo(499);
    assertThat(event.path("usage_source").asString()).isEqualTo("estimated");
    long sent = TokenEstimator.countText(String.join("", chunks.subList(0, 6)), "gpt-4o");
    assertThat(event.path("output_tokens").asLong()).isBetween(sent - 1, sent + 1);
    assertThat(event.path("provider").asString()).isEqualTo("oai");
    assertThat(new BigDecimal(event.path("cost_usd").asString())).isPositive();
    never.complete(null);
  }

  @Test
  void usageWaitsInTheSpoolWhileTheControlPlaneRefusesItAndArrivesOnceAfterwards() throws Exception {
    controlPlane.answerUsageWith(503);
    int before = controlPlane.usageEvents().size();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      provider.respondWith(FakeResponse.chat().usage(10, 2));
      ids.add(client.post("/v1/chat/completions", CHAT.formatted("gpt", "")).headers()
          .firstValue("x-request-id").orElseThrow());
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> node.usageJournal().spooledBytes() > 0);
    assertThat(controlPlane.usageEvents()).hasSize(before);

    controlPlane.answerUsageWith(200);

    await().atMost(Duration.ofSeconds(10)).until(() -> node.usageJournal().spooledBytes() == 0);
    List<String> stored = controlPlane.usageEvents().stream().map(e -> e.path("request_id").asString())
        .filter(ids::contains).toList();
    assertThat(stored).containsExactlyInAnyOrderElementsOf(ids);
    String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
        TestNodes.adminUri(node, "/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).contains("spillway_usage_spool_bytes 0", "spillway_usage_events_dropped_total 0");
    assertThat(metrics).containsPattern("spillway_usage_events_shipped_total [1-9][0-9]");
  }

  @Test
  void aRestartedNodeShipsWhatItsPreviousRunSpooledExactlyOnce() throws Exception {
    Path dir = Files.createTempDirectory("usage-restart-it");
    FakeControlPlane cp = FakeControlPlane.start();
    try {
      cp.publish(Snapshots.builder().team("t1").key("t1", KEY)
          .provider("oai", ProviderType.OPENAI, provider.baseUrl(), "sk-openai-secret-000000")
          .route("gpt", "oai/gpt-4o").price("oai", "gpt-4o", "2.5", "10", null).build());
      cp.answerUsageWith(503);
      Set<String> ids = new HashSet<>();
      SpillwayNode first = TestNodes.start(cp.uri(), dir, Map.of("SPILLWAY_DP_USAGE_SHIP_MS", "20"));
      try {
        TestNodes.awaitVersion(first, 1);
        NodeClient firstClient = new NodeClient(first, KEY);
        for (int i = 0; i < 5; i++) {
          provider.respondWith(FakeResponse.chat().usage(10, 2));
          ids.add(firstClient.post("/v1/chat/completions", CHAT.formatted("gpt", "")).headers()
              .firstValue("x-request-id").orElseThrow());
        }
      } finally {
        first.close();
      }
      assertThat(cp.usageEvents()).isEmpty();
      cp.answerUsageWith(200);

      SpillwayNode second = TestNodes.start(cp.uri(), dir, Map.of("SPILLWAY_DP_USAGE_SHIP_MS", "20"));
      try {
        await().atMost(Duration.ofSeconds(10)).until(() -> cp.usageEvents().size() == 5);
        await().atMost(Duration.ofSeconds(10)).until(() -> second.usageJournal().spooledBytes() == 0);
        assertThat(cp.usageEvents().stream().map(e -> e.path("request_id").asString()).toList())
            .containsExactlyInAnyOrderElementsOf(ids);
      } finally {
        second.close();
      }
    } finally {
      cp.close();
    }
  }
}
