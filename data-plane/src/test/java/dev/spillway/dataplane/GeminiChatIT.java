package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeGemini;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * OpenAI- and Anthropic-format clients through a real node to a fake Gemini API over HTTP: generateContent,
 * streamGenerateContent (SSE), function calls both ways with Gemini 3's thought signatures, several candidates,
 * JSON schema output, embeddings, and Gemini's errors mapped to the contract's codes with Gemini's own message.
 */
@ExtendWith(NoLeaksExtension.class)
class GeminiChatIT {
  static final String KEY = "sk-sw-gemini000000000000000000000000000000000";
  static final String GEMINI_KEY = "AIzaSy-fake-gemini-key-0123456789";

  static FakeGemini gemini;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;
  static NodeClient client;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    gemini = FakeGemini.start(GEMINI_KEY);
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("gemini", ProviderType.GEMINI, gemini.baseUrl(), GEMINI_KEY)
        .provider("gemini-badkey", ProviderType.GEMINI, gemini.baseUrl(), "AIzaSy-wrong-key")
        .route("flash", "gemini/gemini-2.5-flash")
        .route("pro3", "gemini/gemini-3-pro-preview")
        .route("embed", "gemini/text-embedding-004")
        .route("flash-fallback", java.util.List.of("gemini-badkey/gemini-2.5-flash"),
            java.util.List.of("gemini/gemini-2.5-flash"), dev.spillway.config.RetryConfig.NONE)
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("gemini-it"), Map.of());
    TestNodes.awaitVersion(node, 1);
    client = new NodeClient(node, KEY);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    node.close();
    controlPlane.close();
    gemini.close();
  }

  @BeforeEach
  void resetFake() {
    node.routingHealth().clear(); // a fresh node's view: no case inherits another's cooldowns or breakers
    gemini.reset();
  }

  @Test
  void answersAChatCompletionThroughGenerateContent() throws Exception {
    HttpResponse<String> response = client.post("/v1/chat/completions", "{\"model\":\"flash\",\"messages\":["
        + "{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"hi there\"}],"
        + "\"temperature\":0.3,\"max_tokens\":50}");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode body = NodeClient.body(response);
    assertThat(body.path("choices").get(0).path("message").path("content").asString()).isEqualTo("Echo: hi there");
    assertThat(body.path("choices").get(0).path("finish_reason").asString()).isEqualTo("stop");
    assertThat(body.path("usage").path("prompt_tokens").asLong()).isEqualTo(9);
    assertThat(body.path("usage").path("completion_tokens").asLong()).isEqualTo(5);
    assertThat(response.headers().firstValue("x-spillway-model")).contains("gemini-2.5-flash");
    assertThat(gemini.lastRequest().uri()).isEqualTo("/v1beta/models/gemini-2.5-flash:generateContent");
    assertThat(gemini.lastRequest().header("x-goog-api-key")).isEqualTo(GEMINI_KEY);
    JsonNode sent = gemini.lastRequest().json();
    assertThat(sent.path("systemInstruction").path("parts").get(0).path("text").asString()).isEqualTo("Be brief.");
    assertThat(sent.path("generationConfig").path("maxOutputTokens").asInt()).isEqualTo(50);
    assertThat(gemini.lastRequest().headers().values()).noneMatch(v -> v.contains(KEY));
  }

  @Test
  void relaysTheFirstChunkWhileGeminiHoldsTheRest() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    gemini.enqueue(FakeGemini.Reply.content().chunks("c0 ", "c1 ", "c2 ").holdAfter(1, release));

    HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(TestNodes.uri(node, "/v1/chat/completions"))
        .header("content-type", "application/json")
        .header("Authorization", "Bearer " + KEY)
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"flash\",\"stream\":true,\"stream_options\":"
            + "{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    List<String> beforeRelease = BedrockChatIT.readEvents(reader, 2);

    assertThat(release).isNotDone();
    assertThat(beforeRelease.get(0)).contains("\"role\":\"assistant\"");
    assertThat(beforeRelease.get(1)).contains("\"content\":\"c0 \"");
    release.complete(null);
    List<String> rest = BedrockChatIT.readEvents(reader, 5);
    assertThat(rest.get(0)).contains("\"content\":\"c1 \"");
    assertThat(rest.get(1)).contains("\"content\":\"c2 \"");
    assertThat(rest.get(2)).contains("\"finish_reason\":\"stop\"");
    assertThat(rest.get(3)).contains("\"choices\":[]", "\"prompt_tokens\":9", "\"completion_tokens\":5");
    assertThat(rest.get(4)).isEqualTo("data: [DONE]");
    assertThat(gemini.lastRequest().uri()).isEqualTo("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  }

  @Test
  void carriesSignedFunctionCallsAndTheirResultsBothWays() throws Exception {
    gemini.enqueue(FakeGemini.Reply.content().signedFunctionCall("get_weather", "{\"city\":\"Paris\"}",
        "Q2lwaGVyZWQgdGhvdWdodHMrLw=="));

    HttpResponse<String> first = client.post("/v1/chat/completions", BedrockChatIT.withTools("pro3", false));
    JsonNode call = NodeClient.body(first).path("choices").get(0).path("message").path("tool_calls").get(0);
    HttpResponse<String> second = client.post("/v1/chat/completions", "{\"model\":\"pro3\",\"messages\":["
        + "{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
        + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[" + call + "]},"
        + "{\"role\":\"tool\",\"tool_call_id\":\"" + call.path("id").asString() + "\",\"content\":\"{\\\"c\\\":18}\"}],"
        + "\"tools\":" + BedrockChatIT.TOOLS + "}");

    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    assertThat(NodeClient.body(first).path("choices").get(0).path("finish_reason").asString())
        .isEqualTo("tool_calls");
    assertThat(call.path("function").path("name").asString()).isEqualTo("get_weather");
    assertThat(call.path("function").path("arguments").asString()).isEqualTo("{\"city\":\"Paris\"}");
    assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
    JsonNode contents = gemini.lastRequest().json().path("contents");
    JsonNode replayed = contents.get(1).path("parts").get(0);
    assertThat(replayed.path("functionCall").path("name").asString()).isEqualTo("get_weather");
    assertThat(replayed.path("thoughtSignature").asString()).isEqualTo("Q2lwaGVyZWQgdGhvdWdodHMrLw==");
    JsonNode response = contents.get(2).path("parts").get(0).path("functionResponse");
    assertThat(response.path("name").asString()).isEqualTo("get_weather");
    assertThat(response.path("response").path("c").asInt()).isEqualTo(18);
    assertThat(gemini.requests().get(0).json().path("tools").get(0).path("functionDeclarations").get(0)
        .path("parameters").path("type").asString()).isEqualTo("OBJECT");
  }

  @Test
  void streamsFunctionCallsAsToolCallDeltas() throws Exception {
    gemini.enqueue(FakeGemini.Reply.content().chunks("Checking. ").functionCall("get_weather",
        "{\"city\":\"Rome\"}").splitEvents());

    HttpResponse<String> response = client.post("/v1/chat/completions", BedrockChatIT.withTools("flash", true));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    List<JsonNode> chunks = BedrockChatIT.chunks(response.body());
    JsonNode call = chunks.stream().filter(c -> c.path("choices").path(0).path("delta").has("tool_calls"))
        .findFirst().orElseThrow().path("choices").get(0).path("delta").path("tool_calls").get(0);
    assertThat(call.path("function").path("name").asString()).isEqualTo("get_weather");
    assertThat(call.path("function").path("arguments").asString()).isEqualTo("{\"city\":\"Rome\"}");
    assertThat(call.path("id").asString()).startsWith("call_");
    assertThat(response.body()).contains("\"content\":\"Checking. \"", "\"finish_reason\":\"tool_calls\"")
        .endsWith("data: [DONE]\n\n");
  }

  @Test
  void answersSeveralCandidatesAsSeveralChoicesAndAsksForJsonSchemaOutput() throws Exception {
    HttpResponse<String> response = client.post("/v1/chat/completions", "{\"model\":\"flash\",\"n\":2,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"json please\"}],\"response_format\":{\"type\":"
        + "\"json_schema\",\"json_schema\":{\"name\":\"r\",\"schema\":{\"type\":\"object\",\"properties\":"
        + "{\"a\":{\"type\":[\"string\",\"null\"]}},\"additionalProperties\":false}}}}");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode choices = NodeClient.body(response).path("choices");
    assertThat(choices).hasSize(2);
    assertThat(choices.get(1).path("index").asInt()).isEqualTo(1);
    assertThat(choices.get(1).path("message").path("content").asString()).isEqualTo("Echo: json please #1");
    JsonNode config = gemini.lastRequest().json().path("generationConfig");
    assertThat(config.path("candidateCount").asInt()).isEqualTo(2);
    assertThat(config.path("responseMimeType").asString()).isEqualTo("application/json");
    assertThat(config.path("responseSchema").toString())
        .isEqualTo("{\"type\":\"OBJECT\",\"properties\":{\"a\":{\"nullable\":true,\"type\":\"STRING\"}}}");
  }

  @Test
  void mapsGeminiErrorsToContractCodesKeepingGeminisMessage() throws Exception {
    record Case(int status, String rpc, String message, int expectedStatus, String expectedCode) {}
    List<Case> cases = List.of(
        new Case(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unknown name \"foo\".", 400,
            "invalid_request"),
        new Case(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.", 502, "upstream_error"),
        new Case(404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta.", 404, "model_not_found"),
        new Case(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", 429,
            "rate_limit_exceeded"),
        new Case(500, "INTERNAL", "An internal error has occurred.", 502, "upstream_error"),
        new Case(503, "UNAVAILABLE", "The model is overloaded. Please try again later.", 502, "upstream_error"));
    for (Case c : cases) {
      node.routingHealth().clear(); // each case on a fresh node: a refused key would otherwise stay out
      gemini.enqueue(FakeGemini.Reply.error(c.status(), c.rpc(), c.message()));

      HttpResponse<String> response = client.post("/v1/chat/completions", BedrockChatIT.chat("flash", "hi", false));

      assertThat(response.statusCode()).as("%s: %s", c.rpc(), response.body()).isEqualTo(c.expectedStatus());
      assertThat(NodeClient.error(response).path("code").asString()).isEqualTo(c.expectedCode());
      assertThat(NodeClient.error(response).path("message").asString()).contains("gemini", c.message());
    }
  }

  @Test
  void treatsGeminisRefusalOfAWrongKeyAsACredentialFailureWithoutShowingTheKey() throws Exception {
    HttpResponse<String> response = client.post("/v1/chat/completions",
        BedrockChatIT.chat("gemini-badkey/gemini-2.5-flash", "hi", false));

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(NodeClient.error(response).path("code").asString()).isEqualTo("upstream_error");
    assertThat(NodeClient.error(response).path("message").asString())
        .contains("refused Spillway's credentials", "API key not valid");
    assertThat(response.body()).doesNotContain("AIzaSy-wrong-key");
  }

  @Test
  void fallsBackWhenGeminiRefusesTheKey() throws Exception {
    HttpResponse<String> response = client.post("/v1/chat/completions",
        BedrockChatIT.chat("flash-fallback", "hi", false));

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.headers().firstValue("x-spillway-provider")).contains("gemini");
    assertThat(response.headers().firstValue("x-spillway-attempts")).contains("2");
  }

  @Test
  void endsTheStreamWithAnErrorEventWhenGeminiFailsMidway() throws Exception {
    gemini.enqueue(FakeGemini.Reply.content().chunks("partial ", "rest").errorAfter(1, "Internal error mid-stream."));

    HttpResponse<String> response = client.post("/v1/chat/completions", BedrockChatIT.chat("flash", "hi", true));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"content\":\"partial \"", "\"code\":\"upstream_error\"",
        "INTERNAL: Internal error mid-stream.").doesNotContain("[DONE]");
  }

  @Test
  void embedsThroughBatchEmbedContents() throws Exception {
    HttpResponse<String> response = client.post("/v1/embeddings", "{\"model\":\"embed\",\"input\":[\"one\","
        + "\"three\"],\"dimensions\":3,\"encoding_format\":\"float\"}");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode data = NodeClient.body(response).path("data");
    assertThat(data).hasSize(2);
    assertThat(data.get(1).path("embedding")).hasSize(3);
    assertThat(data.get(1).path("embedding").get(0).asDouble()).isCloseTo(0.05,
        org.assertj.core.data.Offset.offset(1e-6));
    assertThat(gemini.lastRequest().uri()).isEqualTo("/v1beta/models/text-embedding-004:batchEmbedContents");
  }

  @Test
  void servesAnthropicFormatClientsFromGemini() throws Exception {
    HttpResponse<String> streamed = client.post("/v1/messages", "{\"model\":\"flash\",\"max_tokens\":64,"
        + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hello gemini\"}]}",
        "anthropic-version", "2023-06-01");

    assertThat(streamed.statusCode()).as(streamed.body()).isEqualTo(200);
    assertThat(streamed.body()).contains("event: message_start", "event: content_block_delta", "hello gemini",
        "event: message_stop");
    assertThat(gemini.lastRequest().json().path("generationConfig").path("maxOutputTokens").asInt()).isEqualTo(64);
  }
}
