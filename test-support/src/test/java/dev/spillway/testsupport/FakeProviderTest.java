package dev.spillway.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** What the routing acceptance tests inject through {@link FakeProvider}, checked over real HTTP. */
@ExtendWith(NoLeaksExtension.class)
class FakeProviderTest {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final String CHAT = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  static final String STREAM = "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  static FakeProvider provider;
  static HttpClient http;

  @BeforeAll
  static void start() {
    provider = FakeProvider.start();
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    provider.close();
  }

  @BeforeEach
  void reset() {
    provider.reset();
  }

  @Test
  void sendsHeadersSetOnAnError() throws Exception {
    provider.enqueue(FakeResponse.error(429, "slow down").header("Retry-After", "2"));

    HttpResponse<String> res = post("/v1/chat/completions", CHAT, "sk-a");

    assertThat(res.statusCode()).isEqualTo(429);
    assertThat(res.headers().firstValue("retry-after")).hasValue("2");
    assertThat(JSON.readTree(res.body()).path("error").path("message").asString()).isEqualTo("slow down");
  }

  @Test
  void sendsOpenAiRateLimitHeadersOnACompletionAndOnAStream() throws Exception {
    FakeResponse limits = FakeResponse.chat().rateLimits(0, 1500, Duration.ofMinutes(6));
    provider.enqueue(limits, FakeResponse.stream().rateLimits(7, 20, Duration.ofSeconds(1)));

    HttpResponse<String> chat = post("/v1/chat/completions", CHAT, "sk-a");
    HttpResponse<String> stream = post("/v1/chat/completions", STREAM, "sk-a");

    assertThat(chat.statusCode()).isEqualTo(200);
    assertThat(chat.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
    assertThat(chat.headers().firstValue("x-ratelimit-remaining-tokens")).hasValue("1500");
    assertThat(chat.headers().firstValue("x-ratelimit-reset-requests")).hasValue("6m0s");
    assertThat(chat.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(stream.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("7");
    assertThat(stream.headers().firstValue("x-ratelimit-reset-requests")).hasValue("1s");
    assertThat(stream.headers().firstValue("content-type")).hasValue("text/event-stream");
    assertThat(stream.body()).endsWith("data: [DONE]\n\n");
  }

  @Test
  void writesDurationsAsOpenAiDoes() {
    assertThat(FakeResponse.openAiDuration(Duration.ZERO)).isEqualTo("0s");
    assertThat(FakeResponse.openAiDuration(Duration.ofMillis(20))).isEqualTo("20ms");
    assertThat(FakeResponse.openAiDuration(Duration.ofNanos(1_500_000))).isEqualTo("1.5ms");
    assertThat(FakeResponse.openAiDuration(Duration.ofSeconds(1))).isEqualTo("1s");
    assertThat(FakeResponse.openAiDuration(Duration.ofMillis(1500))).isEqualTo("1.5s");
    assertThat(FakeResponse.openAiDuration(Duration.ofMinutes(6))).isEqualTo("6m0s");
    assertThat(FakeResponse.openAiDuration(Duration.ofSeconds(3723))).isEqualTo("1h2m3s");
  }

  @Test
  void answersByTheProviderKeyTheRequestCarried() throws Exception {
    provider.respondForKey("sk-bad", FakeResponse.error(401, "invalid key"));

    HttpResponse<String> bad = post("/v1/chat/completions", CHAT, "sk-bad");
    HttpResponse<String> good = post("/v1/chat/completions", CHAT, "sk-good");

    assertThat(bad.statusCode()).isEqualTo(401);
    assertThat(good.statusCode()).isEqualTo(200);
    assertThat(provider.apiKeys()).containsExactly("sk-bad", "sk-good");
    assertThat(provider.lastRequest().apiKey()).isEqualTo("sk-good");
  }

  @Test
  void answersAKeysOwnQueueFirstThenItsOwnAnswerThenTheSharedQueue() throws Exception {
    provider.respondForKey("sk-a", FakeResponse.error(503, "a is down"))
        .enqueueForKey("sk-a", FakeResponse.error(429, "a is busy").header("retry-after", "1"))
        .enqueue(FakeResponse.error(500, "shared"));

    List<Integer> statuses = new ArrayList<>();
    statuses.add(post("/v1/chat/completions", CHAT, "sk-a").statusCode());
    statuses.add(post("/v1/chat/completions", CHAT, "sk-a").statusCode());
    statuses.add(post("/v1/chat/completions", CHAT, "sk-b").statusCode());
    statuses.add(post("/v1/chat/completions", CHAT, "sk-b").statusCode());

    assertThat(statuses).containsExactly(429, 503, 500, 200);
  }

  @Test
  void readsTheKeyOfAzureRequests() throws Exception {
    HttpRequest azure = HttpRequest.newBuilder(URI.create(provider.origin()
            + "/openai/deployments/d/chat/completions?api-version=2024-10-21"))
        .header("api-key", "azure-key").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build();

    http.send(azure, HttpResponse.BodyHandlers.ofString());

    assertThat(provider.apiKeys()).containsExactly("azure-key");
  }

  @Test
  void streamsAnInBandErrorAsTheFirstEvent() throws Exception {
    provider.enqueue(FakeResponse.streamError("upstream overloaded").header("x-request-id", "r1"));

    HttpResponse<String> res = post("/v1/chat/completions", STREAM, "sk-a");

    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("x-request-id")).hasValue("r1");
    List<String> events = events(res.body());
    assertThat(events).hasSize(1);
    JsonNode error = JSON.readTree(events.get(0).substring("data: ".length())).path("error");
    assertThat(error.path("message").asString()).isEqualTo("upstream overloaded");
    assertThat(error.path("type").asString()).isEqualTo("server_error");
    assertThat(provider.completedStreams()).isEqualTo(1);
  }

  @Test
  void streamsContentChunksThenAnInBandError() throws Exception {
    provider.enqueue(FakeResponse.stream().chunkCount(5).errorEventAfter(2, "boom").errorType("overloaded"));

    HttpResponse<String> res = post("/v1/chat/completions", STREAM, "sk-a");

    List<String> events = events(res.body());
    // the opening role chunk, two content chunks, the error; no finish chunk and no [DONE]
    assertThat(events).hasSize(4);
    assertThat(content(events.get(1))).isEqualTo("c0 ");
    assertThat(content(events.get(2))).isEqualTo("c1 ");
    JsonNode error = JSON.readTree(events.get(3).substring("data: ".length())).path("error");
    assertThat(error.path("message").asString()).isEqualTo("boom");
    assertThat(error.path("type").asString()).isEqualTo("overloaded");
    assertThat(res.body()).doesNotContain("[DONE]");
  }

  @Test
  void streamsAnInBandErrorEventOnTheResponsesApi() throws Exception {
    provider.enqueue(FakeResponse.stream().errorEventAfter(1, "boom"));

    HttpResponse<String> res = post("/v1/responses", "{\"model\":\"m\",\"stream\":true,\"input\":\"hi\"}", "sk-a");

    List<String> events = events(res.body());
    assertThat(events).hasSize(3);
    assertThat(events.get(0)).startsWith("event: response.created\n");
    assertThat(events.get(1)).startsWith("event: response.output_text.delta\n");
    assertThat(events.get(2)).startsWith("event: error\n");
    JsonNode error = JSON.readTree(events.get(2).substring(events.get(2).indexOf("data: ") + 6));
    assertThat(error.path("type").asString()).isEqualTo("error");
    assertThat(error.path("message").asString()).isEqualTo("boom");
    assertThat(error.path("sequence_number").asInt()).isEqualTo(2);
  }

  @Test
  void delaysTheFirstByteOfOneAnswerOnly() throws Exception {
    provider.enqueue(FakeResponse.chat().delay(Duration.ofMillis(60)));

    long slow = timedPost();
    long fast = timedPost();

    assertThat(slow).isGreaterThanOrEqualTo(Duration.ofMillis(60).toNanos());
    assertThat(fast).isLessThan(Duration.ofMillis(60).toNanos());
  }

  @Test
  void delaysEveryRequestOfAKeyWhenItsAnswerSaysSo() throws Exception {
    provider.respondForKey("sk-slow", FakeResponse.chat().delay(Duration.ofMillis(20)));

    for (int i = 0; i < 3; i++) {
      long start = System.nanoTime();
      post("/v1/chat/completions", CHAT, "sk-slow");
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(20).toNanos());
    }
  }

  private long timedPost() throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> res = post("/v1/chat/completions", CHAT, "sk-a");
    assertThat(res.statusCode()).isEqualTo(200);
    return System.nanoTime() - start;
  }

  private static String content(String event) {
    return JSON.readTree(event.substring("data: ".length())).path("choices").path(0).path("delta").path("content")
        .asString();
  }

  static List<String> events(String body) {
    List<String> events = new ArrayList<>();
    for (String event : body.split("\n\n")) {
      if (!event.isBlank()) {
        events.add(event);
      }
    }
    return events;
  }

  private static HttpResponse<String> post(String path, String body, String apiKey) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(provider.origin() + path))
        .header("Authorization", "Bearer " + apiKey).header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
