package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.ProviderType;
import dev.spillway.config.RetryConfig;
import dev.spillway.config.TimeoutsConfig;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** One node, fake providers as real HTTP servers, and every path of a chat completion through them. */
@ExtendWith(NoLeaksExtension.class)
class ChatCompletionsIT {
  static final String KEY = "sk-sw-test000000000000000000000000000000000000";
  static final String LIMITED_KEY = "sk-sw-limited00000000000000000000000000000000";
  static final String EXPIRED_KEY = "sk-sw-expired00000000000000000000000000000000";
  static final String UPSTREAM_SECRET = "sk-upstream-secret-value-123456";
  static final JsonMapper JSON = JsonMapper.builder().build();

  static FakeProvider provider;
  static FakeProvider backup;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    provider = FakeProvider.start();
    backup = FakeProvider.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .key("t1", LIMITED_KEY, "chat")
        .key("t1", EXPIRED_KEY, Instant.now().minusSeconds(60))
        .provider("fake", ProviderType.OPENAI_COMPATIBLE, provider.baseUrl(), UPSTREAM_SECRET)
        .provider("backup", ProviderType.OPENAI_COMPATIBLE, backup.baseUrl(), "sk-backup-secret-000000")
        .provider("dead", ProviderType.OPENAI_COMPATIBLE, "http://127.0.0.1:1/v1", "sk-dead-0000000000000")
        .provider("slow", ProviderType.OPENAI_COMPATIBLE, provider.baseUrl(), Map.of(),
            new TimeoutsConfig(1000, 300, 300, 5000), "sk-slow-0000000000000")
        .provider("mock", ProviderType.MOCK, null)
        .route("chat", "fake/gpt-up")
        .route("demo", "mock/mock-1")
        .route("failover", List.of("dead/x"), List.of("backup/y"), RetryConfig.NONE)
        .route("retrying", List.of("fake/r"), List.of(), new RetryConfig(3, 10))
        .route("timeout", "slow/t")
        .build());
    Path state = Files.createTempDirectory("chat-it");
    node = TestNodes.start(controlPlane.uri(), state, Map.of("SPILLWAY_DP_MAX_BODY_BYTES", "65536",
        "SPILLWAY_DP_MAX_HEADER_BYTES", "8192"));
    TestNodes.awaitVersion(node, 1);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    node.close();
    controlPlane.close();
    provider.close();
    backup.close();
  }

  @BeforeEach
  void resetProviders() {
    node.routingHealth().clear(); // a fresh node's view: no case inherits another's cooldowns or breakers
    provider.reset();
    backup.reset();
  }

  @Test
  void proxiesAChatCompletionWithTheProvidersKeyAndTheUpstreamModel() throws Exception {
    HttpResponse<String> response = post("/v1/chat/completions", chat("chat", "hi there"), KEY,
        "x-request-id", "my-request-1");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.path("choices").get(0).path("message").path("content").asString()).isEqualTo("Echo: hi there");
    assertThat(response.headers().firstValue("x-spillway-provider")).contains("fake");
    assertThat(response.headers().firstValue("x-spillway-model")).contains("gpt-up");
    assertThat(response.headers().firstValue("x-spillway-attempts")).contains("1");
    assertThat(response.headers().firstValue("x-request-id")).contains("my-request-1");
    assertThat(provider.lastRequest().json().path("model").asString()).isEqualTo("gpt-up");
    assertThat(provider.lastRequest().header("authorization")).isEqualTo("Bearer " + UPSTREAM_SECRET);
    assertThat(provider.lastRequest().uri()).isEqualTo("/v1/chat/completions");
    assertThat(provider.lastRequest().headers().values()).noneMatch(v -> v.contains(KEY));
  }

  @Test
  void acceptsTheVirtualKeyAsXApiKeyAndAddressesProvidersDirectly() throws Exception {
    HttpRequest request = HttpRequest.newBuilder(TestNodes.uri(node, "/v1/chat/completions"))
        .header("x-api-key", KEY)
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(chat("fake/direct-model", "yo"))).build();

    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(provider.lastRequest().json().path("model").asString()).isEqualTo("direct-model");
    assertThat(response.headers().firstValue("x-request-id")).hasValueSatisfying(id -> assertThat(id)
        .startsWith("req_"));
  }

  @Test
  void refusesMissingUnknownAndExpiredKeysWithoutEchoingThem() throws Exception {
    for (String key : new String[] {null, "sk-sw-unknown000000000000000000000", EXPIRED_KEY, "not-a-spillway-key"}) {
      HttpResponse<String> response = post("/v1/chat/completions", chat("chat", "hi"), key);

      assertThat(response.statusCode()).as("key %s", key).isEqualTo(401);
      assertThat(error(response).path("code").asString()).isEqualTo("invalid_api_key");
      if (key != null) {
        assertThat(response.body()).doesNotContain(key);
      }
    }
    assertThat(provider.requestCount()).isZero();
  }

  @Test
  void refusesModelsTheKeyMayNotUseAndModelsThatDoNotExist() throws Exception {
    HttpResponse<String> forbidden = post("/v1/chat/completions", chat("fake/other", "hi"), LIMITED_KEY);
    HttpResponse<String> allowed = post("/v1/chat/completions", chat("chat", "hi"), LIMITED_KEY);
    HttpResponse<String> missing = post("/v1/chat/completions", chat("no-such-route", "hi"), KEY);

    assertThat(forbidden.statusCode()).isEqualTo(403);
    assertThat(error(forbidden).path("code").asString()).isEqualTo("model_not_allowed");
    assertThat(allowed.statusCode()).isEqualTo(200);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(error(missing).path("code").asString()).isEqualTo("model_not_found");
    assertThat(error(missing).path("param").asString()).isEqualTo("model");
  }

  @Test
  void answersBadInputWithA400ThatNamesTheProblem() throws Exception {
    HttpResponse<String> malformed = post("/v1/chat/completions", "{\"model\":", KEY);
    HttpResponse<String> notObject = post("/v1/chat/completions", "[1,2]", KEY);
    HttpResponse<String> noModel = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
        KEY);
    HttpResponse<String> noMessages = post("/v1/chat/completions", "{\"model\":\"chat\"}", KEY);
    HttpResponse<String> badStream = post("/v1/chat/completions",
        "{\"model\":\"chat\",\"stream\":\"yes\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", KEY);
    HttpResponse<String> deep = post("/v1/chat/completions", "[".repeat(1000) + "]".repeat(1000), KEY);

    assertThat(List.of(malformed, notObject, noModel, noMessages, badStream, deep))
        .allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(400))
        .allSatisfy(r -> assertThat(error(r).path("code").asString()).isEqualTo("invalid_request"));
    assertThat(error(malformed).path("message").asString()).contains("not valid JSON");
    assertThat(error(noModel).path("param").asString()).isEqualTo("model");
    assertThat(error(noMessages).path("param").asString()).isEqualTo("messages");
    assertThat(error(badStream).path("param").asString()).isEqualTo("stream");
    assertThat(provider.requestCount()).isZero();
  }

  @Test
  void refusesBodiesAndHeadersOverTheLimits() throws Exception {
    String big = chat("chat", "x".repeat(70_000));
    HttpResponse<String> tooBig = post("/v1/chat/completions", big, KEY);
    HttpResponse<String> tooManyHeaders = post("/v1/chat/completions", chat("chat", "x"), KEY, "x-filler",
        "y".repeat(9000));

    assertThat(tooBig.statusCode()).isEqualTo(413);
    assertThat(error(tooBig).path("code").asString()).isEqualTo("request_too_large");
    assertThat(tooManyHeaders.statusCode()).isEqualTo(431);
    assertThat(provider.requestCount()).isZero();
  }

  @Test
  void answersUnknownUrlsAndWrongMethodsInOpenAiShape() throws Exception {
    HttpResponse<String> unknown = post("/v1/nope", "{}", KEY);
    HttpResponse<String> wrongMethod = http.send(HttpRequest.newBuilder(TestNodes.uri(node, "/v1/chat/completions"))
        .header("Authorization", "Bearer " + KEY).GET().build(), HttpResponse.BodyHandlers.ofString());

    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(error(unknown).path("code").asString()).isEqualTo("unknown_url");
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
  }

  @Test
  void keepsTheProvidersMessageWhenItRefusesTheRequest() throws Exception {
    provider.enqueue(FakeResponse.error(400, "temperature must be <= 2").errorType("invalid_request_error"));

    HttpResponse<String> response = post("/v1/chat/completions", chat("chat", "hi"), KEY);

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(error(response).path("code").asString()).isEqualTo("invalid_request");
    assertThat(error(response).path("message").asString()).contains("fake answered 400", "temperature must be <= 2");
  }

  @Test
  void retriesAFailingTargetWithBackoffUntilItSucceeds() throws Exception {
    provider.enqueue(FakeResponse.error(500, "boom"), FakeResponse.error(503, "overloaded"), FakeResponse.chat());

    HttpResponse<String> response = post("/v1/chat/completions", chat("retrying", "hi"), KEY);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("x-spillway-attempts")).contains("3");
    assertThat(provider.requestCount()).isEqualTo(3);
  }

  @Test
  void fallsBackWhenTheFirstTargetCannotBeReached() throws Exception {
    HttpResponse<String> response = post("/v1/chat/completions", chat("failover", "hi"), KEY);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("x-spillway-provider")).contains("backup");
    assertThat(response.headers().firstValue("x-spillway-attempts")).contains("2");
    assertThat(backup.lastRequest().json().path("model").asString()).isEqualTo("y");
  }

  @Test
  void answers502WithTheProvidersMessageWhenEveryAttemptFails() throws Exception {
    provider.respondWith(FakeResponse.error(500, "the fake is down"));

    HttpResponse<String> response = post("/v1/chat/completions", chat("chat", "hi"), KEY);

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(error(response).path("code").asString()).isEqualTo("upstream_error");
    assertThat(error(response).path("message").asString()).contains("the fake is down");
  }

  @Test
  void answers504WhenTheProviderSendsNothingInTime() throws Exception {
    provider.respondWith(FakeResponse.hang());
    long started = System.nanoTime();

    HttpResponse<String> response = post("/v1/chat/completions", chat("timeout", "hi"), KEY);

    assertThat(response.statusCode()).isEqualTo(504);
    assertThat(error(response).path("code").asString()).isEqualTo("upstream_timeout");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void passesARateLimitOnWithRetryAfter() throws Exception {
    provider.enqueue(FakeResponse.error(429, "slow down"));

    HttpResponse<String> response = post("/v1/chat/completions", chat("chat", "hi"), KEY);

    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(error(response).path("code").asString()).isEqualTo("rate_limit_exceeded");
    assertThat(response.headers().firstValue("retry-after")).isPresent();
  }

  @Test
  void relaysTheFirstChunkWhileTheProviderIsStillSending() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    provider.enqueue(FakeResponse.stream().chunkCount(4).holdAfter(1, release));

    HttpResponse<InputStream> response = http.send(request(chat("chat", "hi", true), KEY),
        HttpResponse.BodyHandlers.ofInputStream());
    BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    List<String> beforeRelease = readEvents(reader, 2);

    assertThat(release).isNotDone();
    assertThat(beforeRelease.get(1)).contains("\"content\":\"c0 \"");
    release.complete(null);
    List<String> rest = readEvents(reader, 5);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t)
        .startsWith("text/event-stream"));
    assertThat(rest).last().isEqualTo("data: [DONE]");
    assertThat(String.join("\n", rest)).contains("c1 ", "c2 ", "c3 ", "\"finish_reason\":\"stop\"");
    reader.close();
  }

  @Test
  void cancelsTheUpstreamCallWhenTheClientHangsUp() throws Exception {
    CompletableFuture<Void> never = new CompletableFuture<>();
    provider.enqueue(FakeResponse.stream().chunkCount(3).holdAfter(1, never));
    String body = chat("chat", "hi", true);

    String line = TestNodes.readUntilThenHangUp(node, KEY, body, "c0 ");
    assertThat(line).contains("c0 ");

    await().atMost(Duration.ofSeconds(3)).until(() -> provider.abandonedStreams() == 1);
    assertThat(provider.completedStreams()).isZero();
  }

  @Test
  void letsTheProviderFinishWhenTheClientLeavesAfterDone() throws Exception {
    CompletableFuture<Void> bodyEnd = new CompletableFuture<>();
    provider.enqueue(FakeResponse.stream().chunkCount(2).holdBodyEnd(bodyEnd));
    String body = chat("chat", "hi", true);
    double clientsGone = clientClosedCount();

    String line = TestNodes.readUntilThenHangUp(node, KEY, body, "[DONE]");
    assertThat(line).isEqualTo("data: [DONE]");
    // Only once the node has seen the hang-up does the provider end its body.
    await().atMost(Duration.ofSeconds(3)).until(() -> clientClosedCount() == clientsGone + 1);
    bodyEnd.complete(null);

    // Not cancelled (that would close the connection mid-body): the exchange ran to its end, so the connection
    // could go back to the pool.
    await().atMost(Duration.ofSeconds(3)).until(() -> provider.completedStreams() == 1);
    assertThat(provider.abandonedStreams()).isZero();
  }

  private static double clientClosedCount() throws Exception {
    String text = http.send(HttpRequest.newBuilder(TestNodes.adminUri(node, "/metrics")).GET().build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return dev.spillway.dataplane.metrics.MetricsText.value(text, "spillway_requests_total", "endpoint",
        "/v1/chat/completions", "code", "client_closed");
  }

  @Test
  void endsAStreamWithAnErrorEventWhenTheProviderFailsMidway() throws Exception {
    provider.enqueue(FakeResponse.stream().chunkCount(5).dropAfter(2));

    HttpResponse<String> response = post("/v1/chat/completions", chat("chat", "hi", true), KEY);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("c0 ", "c1 ").doesNotContain("c2 ", "[DONE]");
    assertThat(response.body()).contains("\"code\":\"upstream_error\"");
  }

  @Test
  void answersFromTheBuiltInMockProviderWithoutAnyNetwork() throws Exception {
    HttpResponse<String> response = post("/v1/chat/completions", chat("demo", "ping"), KEY);
    HttpResponse<String> streamed = post("/v1/chat/completions", chat("demo", "ping", true), KEY);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(response.body()).path("choices").get(0).path("message").path("content").asString())
        .isEqualTo("Hello from Spillway's mock provider. You said: ping");
    assertThat(streamed.body()).contains("\"content\":\"ping\"").endsWith("data: [DONE]\n\n");
  }

  @Test
  void reusesOneUpstreamConnectionForSequentialRequests() throws Exception {
    for (int i = 0; i < 5; i++) {
      assertThat(post("/v1/chat/completions", chat("chat", "n" + i), KEY).statusCode()).isEqualTo(200);
    }

    assertThat(provider.requestCount()).isEqualTo(5);
    // At most one: the requests share a client connection, so an event loop and its pool, which may still hold a
    // connection from an earlier test (which loop serves the client depends on the connections opened before).
    assertThat(provider.acceptedConnections()).isLessThanOrEqualTo(1);
  }

  @Test
  void listsTheModelsAKeyMayUse() throws Exception {
    HttpResponse<String> all = get("/v1/models", KEY);
    HttpResponse<String> limited = get("/v1/models", LIMITED_KEY);

    assertThat(ids(all)).containsExactly("chat", "demo", "failover", "retrying", "timeout");
    assertThat(ids(limited)).containsExactly("chat");
  }

  @Test
  void reportsHealthAndReadiness() throws Exception {
    assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
    HttpResponse<String> ready = get("/readyz", null);
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(ready.body()).path("config_version").asLong()).isEqualTo(1);
  }

  private static List<String> ids(HttpResponse<String> response) {
    List<String> ids = new ArrayList<>();
    JSON.readTree(response.body()).path("data").forEach(m -> ids.add(m.path("id").asString()));
    return ids;
  }

  /** Reads {@code count} SSE data lines (blank separators skipped), failing after 5 s. */
  private static List<String> readEvents(BufferedReader reader, int count) throws Exception {
    return CompletableFuture.supplyAsync(() -> {
      List<String> events = new ArrayList<>();
      try {
        String line;
        while (events.size() < count && (line = reader.readLine()) != null) {
          if (!line.isEmpty()) {
            events.add(line);
          }
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return events;
    }).get(5, TimeUnit.SECONDS);
  }

  static String chat(String model, String text) {
    return chat(model, text, false);
  }

  static String chat(String model, String text, boolean stream) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\""
        + text + "\"}]}";
  }

  static JsonNode error(HttpResponse<String> response) {
    return JSON.readTree(response.body()).path("error");
  }

  private static HttpRequest request(String body, String key, String... headers) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(TestNodes.uri(node, "/v1/chat/completions"))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      builder.header("Authorization", "Bearer " + key);
    }
    for (int i = 0; i < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
    }
    return builder.build();
  }

  private static HttpResponse<String> post(String path, String body, String key, String... headers) throws Exception {
    HttpRequest.Builder builder = HttpRequest.newBuilder(TestNodes.uri(node, path))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      builder.header("Authorization", "Bearer " + key);
    }
    for (int i = 0; i < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
    }
    return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path, String key) throws Exception {
    HttpRequest.Builder builder = HttpRequest.newBuilder(TestNodes.uri(node, path)).GET();
    if (key != null) {
      builder.header("Authorization", "Bearer " + key);
    }
    return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
  }
}
