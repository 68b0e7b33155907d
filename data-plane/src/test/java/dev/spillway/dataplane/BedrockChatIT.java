package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeBedrock;
import dev.spillway.testsupport.FakeControlPlane;
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
import java.time.Duration;
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

/**
 * OpenAI- and Anthropic-format clients through a real node to a fake Bedrock runtime over HTTP: Converse and
 * ConverseStream (binary event-stream frames, split across TCP writes), SigV4 checked by the fake re-signing with
 * the AWS signer, Bedrock API keys, tools both ways, and Bedrock's errors mapped to the contract's codes with
 * Bedrock's own message.
 */
@ExtendWith(NoLeaksExtension.class)
class BedrockChatIT {
  static final String KEY = "sk-sw-bedrock00000000000000000000000000000000";
  static final String ACCESS_KEY_ID = "AKIDEXAMPLE";
  static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  static final String API_KEY = "ABSKQmVkcm9ja0FQSUtleS1leGFtcGxlLWtleQ==";
  static final String MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0";

  static FakeBedrock bedrock;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;
  static NodeClient client;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    bedrock = FakeBedrock.start(ACCESS_KEY_ID, SECRET, "us-west-2").acceptApiKey(API_KEY);
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("bedrock", ProviderType.BEDROCK, bedrock.baseUrl(),
            Map.of("region", "us-west-2", "access_key_id", ACCESS_KEY_ID), null, SECRET)
        .provider("bedrock-sts", ProviderType.BEDROCK, bedrock.baseUrl(),
            Map.of("region", "us-west-2", "access_key_id", ACCESS_KEY_ID, "session_token", "FQoGZXIvYXdzEXAMPLE"),
            null, SECRET)
        .provider("bedrock-wrong", ProviderType.BEDROCK, bedrock.baseUrl(),
            Map.of("region", "us-west-2", "access_key_id", ACCESS_KEY_ID), null, "not-the-secret-key-000000")
        .provider("bedrock-apikey", ProviderType.BEDROCK, bedrock.baseUrl(), Map.of("region", "us-west-2"), null,
            API_KEY)
        .route("claude", "bedrock/" + MODEL)
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("bedrock-it"), Map.of());
    TestNodes.awaitVersion(node, 1);
    client = new NodeClient(node, KEY);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    node.close();
    controlPlane.close();
    bedrock.close();
  }

  @BeforeEach
  void resetFake() {
    node.routingHealth().clear(); // a fresh node's view: no case inherits another's cooldowns or breakers
    bedrock.reset();
  }

  @Test
  void answersAChatCompletionThroughConverseSignedWithSigV4() throws Exception {
    bedrock.enqueue(FakeBedrock.Reply.converse().usage(20, 5, 30));

    HttpResponse<String> response = client.post("/v1/chat/completions", chat("claude", "hi there", false));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode body = NodeClient.body(response);
    assertThat(body.path("object").asString()).isEqualTo("chat.completion");
    assertThat(body.path("choices").get(0).path("message").path("content").asString()).isEqualTo("Echo: hi there");
    assertThat(body.path("choices").get(0).path("finish_reason").asString()).isEqualTo("stop");
    assertThat(body.path("usage").path("prompt_tokens").asLong()).isEqualTo(50);
    assertThat(body.path("usage").path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(30);
    assertThat(body.path("usage").path("completion_tokens").asLong()).isEqualTo(5);
    assertThat(response.headers().firstValue("x-spillway-provider")).contains("bedrock");
    assertThat(bedrock.authFailures()).isEmpty();
    assertThat(bedrock.lastRequest().uri()).isEqualTo("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
    assertThat(bedrock.lastRequest().header("authorization"))
        .startsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        .contains("/us-west-2/bedrock/aws4_request");
    assertThat(bedrock.lastRequest().json().path("messages").get(0).path("content").get(0).path("text").asString())
        .isEqualTo("hi there");
    assertThat(bedrock.lastRequest().headers().values()).noneMatch(v -> v.contains(KEY) || v.contains(SECRET));
  }

  @Test
  void relaysTheFirstChunkWhileBedrockHoldsTheRest() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    // Event 0 is messageStart, event 1 the first text delta: hold after both.
    bedrock.enqueue(FakeBedrock.Reply.converse().chunks("c0 ", "c1 ", "c2 ").holdAfter(2, release));

    HttpResponse<InputStream> response = http.send(request(chatWithUsage("claude")),
        HttpResponse.BodyHandlers.ofInputStream());
    BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    List<String> beforeRelease = readEvents(reader, 2);

    assertThat(release).isNotDone();
    assertThat(beforeRelease.get(0)).contains("\"role\":\"assistant\"");
    assertThat(beforeRelease.get(1)).contains("\"content\":\"c0 \"");
    release.complete(null);
    List<String> rest = readEvents(reader, 5);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t)
        .startsWith("text/event-stream"));
    assertThat(rest.get(0)).contains("\"content\":\"c1 \"");
    assertThat(rest.get(1)).contains("\"content\":\"c2 \"");
    assertThat(rest.get(2)).contains("\"finish_reason\":\"stop\"");
    assertThat(rest.get(3)).contains("\"choices\":[]", "\"prompt_tokens\":12", "\"completion_tokens\":7");
    assertThat(rest.get(4)).isEqualTo("data: [DONE]");
    assertThat(bedrock.lastRequest().uri()).endsWith("/converse-stream");
    assertThat(bedrock.lastRequest().header("accept")).isEqualTo("application/vnd.amazon.eventstream");
  }

  @Test
  void joinsEventStreamFramesSplitAcrossWritesAndStreamsToolCalls() throws Exception {
    bedrock.enqueue(FakeBedrock.Reply.converse().chunks("Let me check.")
        .toolUse("tooluse_1", "get_weather", "{\"city\":\"Paris\",\"unit\":\"celsius\"}").splitFrames());

    HttpResponse<String> response = client.post("/v1/chat/completions", withTools("claude", true));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    List<JsonNode> chunks = chunks(response.body());
    StringBuilder arguments = new StringBuilder();
    String id = null;
    String name = null;
    for (JsonNode chunk : chunks) {
      for (JsonNode call : chunk.path("choices").path(0).path("delta").path("tool_calls")) {
        id = call.has("id") ? call.path("id").asString() : id;
        name = call.path("function").has("name") ? call.path("function").path("name").asString() : name;
        arguments.append(call.path("function").path("arguments").asString(""));
      }
    }
    assertThat(id).isEqualTo("tooluse_1");
    assertThat(name).isEqualTo("get_weather");
    assertThat(NodeClient.JSON.readTree(arguments.toString())).isEqualTo(NodeClient.JSON.readTree(
        "{\"city\":\"Paris\",\"unit\":\"celsius\"}"));
    assertThat(response.body()).contains("\"finish_reason\":\"tool_calls\"").endsWith("data: [DONE]\n\n");
    assertThat(bedrock.lastRequest().json().path("toolConfig").path("toolChoice").has("auto")).isTrue();
  }

  @Test
  void carriesToolCallsAndToolResultsBothWays() throws Exception {
    bedrock.enqueue(FakeBedrock.Reply.converse().toolUse("tooluse_w", "get_weather", "{\"city\":\"Paris\"}"));

    HttpResponse<String> first = client.post("/v1/chat/completions", withTools("claude", false));
    JsonNode call = NodeClient.body(first).path("choices").get(0).path("message").path("tool_calls").get(0);
    HttpResponse<String> second = client.post("/v1/chat/completions", "{\"model\":\"claude\",\"messages\":["
        + "{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
        + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[" + call + "]},"
        + "{\"role\":\"tool\",\"tool_call_id\":\"" + call.path("id").asString() + "\",\"content\":\"18C, sunny\"}],"
        + "\"tools\":" + TOOLS + "}");

    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    assertThat(NodeClient.body(first).path("choices").get(0).path("finish_reason").asString())
        .isEqualTo("tool_calls");
    assertThat(call.path("function").path("arguments").asString()).isEqualTo("{\"city\":\"Paris\"}");
    assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
    JsonNode sent = bedrock.lastRequest().json();
    assertThat(sent.path("messages").get(1).path("content").get(0).path("toolUse").path("toolUseId").asString())
        .isEqualTo("tooluse_w");
    JsonNode result = sent.path("messages").get(2).path("content").get(0).path("toolResult");
    assertThat(result.path("toolUseId").asString()).isEqualTo("tooluse_w");
    assertThat(result.path("content").get(0).path("text").asString()).isEqualTo("18C, sunny");
    assertThat(sent.path("toolConfig").path("tools").get(0).path("toolSpec").path("name").asString())
        .isEqualTo("get_weather");
  }

  @Test
  void mapsBedrockErrorsToContractCodesKeepingBedrocksMessage() throws Exception {
    record Case(int status, String type, String message, int expectedStatus, String expectedCode) {}
    List<Case> cases = List.of(
        new Case(400, "ValidationException", "messages.0.content: blank text field", 400, "invalid_request"),
        new Case(403, "AccessDeniedException", "You don't have access to the model with the specified model ID.",
            502, "upstream_error"),
        new Case(404, "ResourceNotFoundException", "Could not resolve the foundation model.", 404,
            "model_not_found"),
        new Case(429, "ThrottlingException", "Too many requests, please wait before trying again.", 429,
            "rate_limit_exceeded"),
        new Case(500, "InternalServerException", "The server encountered an internal error.", 502, "upstream_error"),
        new Case(503, "ServiceUnavailableException", "The service is unavailable. Try again later.", 502,
            "upstream_error"));
    for (Case c : cases) {
      node.routingHealth().clear(); // each case on a fresh node: a refused key would otherwise stay out
      bedrock.enqueue(FakeBedrock.Reply.error(c.status(), c.type(), c.message()));

      HttpResponse<String> response = client.post("/v1/chat/completions", chat("claude", "hi", false));

      assertThat(response.statusCode()).as("%s: %s", c.type(), response.body()).isEqualTo(c.expectedStatus());
      assertThat(NodeClient.error(response).path("code").asString()).isEqualTo(c.expectedCode());
      assertThat(NodeClient.error(response).path("message").asString()).contains("bedrock", c.message());
      if (c.status() == 429) {
        assertThat(response.headers().firstValue("retry-after")).isPresent();
      }
    }
  }

  @Test
  void reportsRefusedSignaturesAsTheProvidersCredentialsWithoutShowingThem() throws Exception {
    HttpResponse<String> response = client.post("/v1/chat/completions", chat("bedrock-wrong/" + MODEL, "hi", false));

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(NodeClient.error(response).path("message").asString())
        .contains("refused Spillway's credentials (403)", "signature we calculated does not match");
    assertThat(response.body()).doesNotContain("not-the-secret-key");
    assertThat(bedrock.authFailures()).containsExactly("signature: mismatch");
  }

  @Test
  void signsTemporaryCredentialsAndSendsBedrockApiKeysAsBearerTokens() throws Exception {
    HttpResponse<String> sts = client.post("/v1/chat/completions", chat("bedrock-sts/" + MODEL, "one", false));
    String stsToken = bedrock.lastRequest().header("x-amz-security-token");
    HttpResponse<String> apiKey = client.post("/v1/chat/completions", chat("bedrock-apikey/" + MODEL, "two", false));

    assertThat(sts.statusCode()).as(sts.body()).isEqualTo(200);
    assertThat(stsToken).isEqualTo("FQoGZXIvYXdzEXAMPLE");
    assertThat(apiKey.statusCode()).as(apiKey.body()).isEqualTo(200);
    assertThat(bedrock.lastRequest().header("authorization")).isEqualTo("Bearer " + API_KEY);
    assertThat(bedrock.authFailures()).isEmpty();
  }

  @Test
  void refusesImageLinksAndSeveralChoicesBeforeCallingBedrock() throws Exception {
    HttpResponse<String> link = client.post("/v1/chat/completions", "{\"model\":\"claude\",\"messages\":[{\"role\":"
        + "\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/a.png\"}}]}]}");
    HttpResponse<String> several = client.post("/v1/chat/completions", "{\"model\":\"claude\",\"n\":3,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

    assertThat(link.statusCode()).isEqualTo(400);
    assertThat(NodeClient.error(link).path("code").asString()).isEqualTo("invalid_request");
    assertThat(NodeClient.error(link).path("message").asString()).contains("image_url.url", "data: URLs");
    assertThat(several.statusCode()).isEqualTo(400);
    assertThat(NodeClient.error(several).path("message").asString()).contains("n must be 1");
    assertThat(bedrock.requestCount()).isZero();
  }

  @Test
  void endsTheStreamWithAnErrorEventWhenBedrockSendsAnExceptionMidway() throws Exception {
    bedrock.enqueue(FakeBedrock.Reply.converse().chunks("partial ", "answer").exceptionAfter(2,
        "modelStreamErrorException", "The model stream failed."));

    HttpResponse<String> response = client.post("/v1/chat/completions", chat("claude", "hi", true));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"content\":\"partial \"", "\"code\":\"upstream_error\"",
        "modelStreamErrorException: The model stream failed.").doesNotContain("[DONE]");
  }

  @Test
  void cancelsTheBedrockStreamWhenTheClientGoesAway() throws Exception {
    CompletableFuture<Void> never = new CompletableFuture<>();
    bedrock.enqueue(FakeBedrock.Reply.converse().chunks("c0 ", "c1 ").holdAfter(2, never));
    String body = chat("claude", "hi", true);
    String line = TestNodes.readUntilThenHangUp(node, KEY, body, "c0 ");
    assertThat(line).contains("c0 ");

    await().atMost(Duration.ofSeconds(3)).until(() -> bedrock.abandonedStreams() == 1);
    assertThat(bedrock.completedStreams()).isZero();
  }

  @Test
  void servesAnthropicFormatClientsFromBedrock() throws Exception {
    HttpResponse<String> response = client.post("/v1/messages", "{\"model\":\"claude\",\"max_tokens\":64,"
        + "\"system\":\"Be brief.\",\"messages\":[{\"role\":\"user\",\"content\":\"hello bedrock\"}]}",
        "anthropic-version", "2023-06-01");
    HttpResponse<String> streamed = client.post("/v1/messages", "{\"model\":\"claude\",\"max_tokens\":64,"
        + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"streamed\"}]}",
        "anthropic-version", "2023-06-01");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode message = NodeClient.body(response);
    assertThat(message.path("type").asString()).isEqualTo("message");
    assertThat(message.path("content").get(0).path("text").asString()).isEqualTo("Echo: hello bedrock");
    assertThat(bedrock.requests().get(0).json().path("system").get(0).path("text").asString())
        .isEqualTo("Be brief.");
    assertThat(bedrock.requests().get(0).json().path("inferenceConfig").path("maxTokens").asInt()).isEqualTo(64);
    assertThat(streamed.statusCode()).as(streamed.body()).isEqualTo(200);
    assertThat(streamed.body()).contains("event: message_start", "event: content_block_delta", "streamed",
        "event: message_stop");
  }

  // ---------------------------------------------------------------- helpers

  static final String TOOLS = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":"
      + "\"Current weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
      + "\"required\":[\"city\"]}}}]";

  static String chat(String model, String text, boolean stream) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\""
        + text + "\"}]}";
  }

  static String chatWithUsage(String model) {
    return "{\"model\":\"" + model + "\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  static String withTools(String model, boolean stream) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"tool_choice\":\"auto\",\"tools\":" + TOOLS
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"Weather in Paris?\"}]}";
  }

  static HttpRequest request(String body) {
    return HttpRequest.newBuilder(TestNodes.uri(node, "/v1/chat/completions"))
        .header("content-type", "application/json")
        .header("Authorization", "Bearer " + KEY)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  /** The JSON chunks of an OpenAI stream body ({@code [DONE]} left out). */
  static List<JsonNode> chunks(String body) {
    List<JsonNode> chunks = new ArrayList<>();
    for (NodeClient.Event event : NodeClient.events(body)) {
      if (!event.data().equals("[DONE]")) {
        chunks.add(event.json());
      }
    }
    return chunks;
  }

  /** Reads {@code count} SSE data lines (blank separators skipped), failing after 5 s. */
  static List<String> readEvents(BufferedReader reader, int count) throws Exception {
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
}
