package dev.spillway.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.testsupport.FakeAnthropic.Reply;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** What the routing acceptance tests inject through {@link FakeAnthropic}, checked over real HTTP. */
@ExtendWith(NoLeaksExtension.class)
class FakeAnthropicTest {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final String MESSAGE = "{\"model\":\"claude\",\"max_tokens\":10,"
      + "\"messages\":[{\"role\":\"user\",\"content\":\"one two three\"}]}";
  static final String STREAM = "{\"model\":\"claude\",\"max_tokens\":10,\"stream\":true,"
      + "\"messages\":[{\"role\":\"user\",\"content\":\"one two three\"}]}";

  static FakeAnthropic anthropic;
  static HttpClient http;

  @BeforeAll
  static void start() {
    anthropic = FakeAnthropic.start();
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    anthropic.close();
  }

  @BeforeEach
  void reset() {
    anthropic.reset();
  }

  @Test
  void sendsRetryAfterOnAnError() throws Exception {
    anthropic.enqueue(Reply.error(429, "rate_limit_error", "slow down").header("retry-after", "3"));

    HttpResponse<String> res = post(MESSAGE, "sk-ant-a");

    assertThat(res.statusCode()).isEqualTo(429);
    assertThat(res.headers().firstValue("retry-after")).hasValue("3");
    assertThat(JSON.readTree(res.body()).path("error").path("type").asString()).isEqualTo("rate_limit_error");
  }

  @Test
  void sendsAnthropicRateLimitHeadersOnAMessageAndOnAStream() throws Exception {
    Instant reset = Instant.parse("2026-12-07T16:05:00.250Z");
    anthropic.enqueue(Reply.echo().rateLimits(0, 4000, reset), Reply.echo().rateLimits(9, 10, reset));

    HttpResponse<String> message = post(MESSAGE, "sk-ant-a");
    HttpResponse<String> stream = post(STREAM, "sk-ant-a");

    assertThat(message.statusCode()).isEqualTo(200);
    assertThat(message.headers().firstValue("anthropic-ratelimit-requests-remaining")).hasValue("0");
    assertThat(message.headers().firstValue("anthropic-ratelimit-tokens-remaining")).hasValue("4000");
    assertThat(message.headers().firstValue("anthropic-ratelimit-requests-reset")).hasValue("2026-12-07T16:05:00Z");
    assertThat(stream.headers().firstValue("anthropic-ratelimit-requests-remaining")).hasValue("9");
    assertThat(stream.body()).contains("event: message_stop");
  }

  @Test
  void answersByTheApiKeyTheRequestCarried() throws Exception {
    anthropic.respondForKey("sk-ant-bad", Reply.error(401, "authentication_error", "invalid x-api-key"));

    HttpResponse<String> bad = post(MESSAGE, "sk-ant-bad");
    HttpResponse<String> good = post(MESSAGE, "sk-ant-good");

    assertThat(bad.statusCode()).isEqualTo(401);
    assertThat(good.statusCode()).isEqualTo(200);
    assertThat(anthropic.apiKeys()).containsExactly("sk-ant-bad", "sk-ant-good");
  }

  @Test
  void answersAKeysOwnQueueBeforeItsOwnAnswer() throws Exception {
    anthropic.respondForKey("sk-ant-a", Reply.error(529, "overloaded_error", "Overloaded"))
        .enqueueForKey("sk-ant-a", Reply.text("first"));

    assertThat(post(MESSAGE, "sk-ant-a").statusCode()).isEqualTo(200);
    assertThat(post(MESSAGE, "sk-ant-a").statusCode()).isEqualTo(529);
    assertThat(post(MESSAGE, "sk-ant-b").statusCode()).isEqualTo(200);
  }

  @Test
  void streamsAnErrorEventBeforeAnything() throws Exception {
    anthropic.enqueue(Reply.echo().errorEventAfter(0, "overloaded_error", "Overloaded"));

    HttpResponse<String> res = post(STREAM, "sk-ant-a");

    assertThat(res.statusCode()).isEqualTo(200);
    List<String> events = FakeProviderTest.events(res.body());
    assertThat(events).hasSize(1);
    assertThat(events.get(0)).startsWith("event: error\n");
    JsonNode error = data(events.get(0));
    assertThat(error.path("type").asString()).isEqualTo("error");
    assertThat(error.path("error").path("type").asString()).isEqualTo("overloaded_error");
  }

  @Test
  void streamsTextDeltasThenAnErrorEvent() throws Exception {
    anthropic.enqueue(Reply.echo().errorEventAfter(3 + 2, "api_error", "Internal server error"));

    HttpResponse<String> res = post(STREAM, "sk-ant-a");

    List<String> events = FakeProviderTest.events(res.body());
    assertThat(events).extracting(e -> e.substring("event: ".length(), e.indexOf('\n'))).containsExactly(
        "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "error");
    assertThat(data(events.get(3)).path("delta").path("text").asString()).isEqualTo("Echo: ");
    assertThat(data(events.get(5)).path("error").path("message").asString()).isEqualTo("Internal server error");
  }

  @Test
  void delaysTheFirstByte() throws Exception {
    anthropic.enqueue(Reply.echo().delay(Duration.ofMillis(40)));

    long start = System.nanoTime();
    post(MESSAGE, "sk-ant-a");
    long slow = System.nanoTime() - start;

    assertThat(slow).isGreaterThanOrEqualTo(Duration.ofMillis(40).toNanos());
  }

  private static JsonNode data(String event) {
    return JSON.readTree(event.substring(event.indexOf("data: ") + "data: ".length()));
  }

  private static HttpResponse<String> post(String body, String apiKey) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(anthropic.baseUrl() + "/v1/messages"))
        .header("x-api-key", apiKey).header("anthropic-version", "2023-06-01")
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
