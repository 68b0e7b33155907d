package dev.spillway.dataplane;

import static dev.spillway.dataplane.NodeClient.body;
import static dev.spillway.dataplane.NodeClient.error;
import static dev.spillway.dataplane.NodeClient.events;
import static dev.spillway.dataplane.NodeClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code POST /v1/completions}: native to the OpenAI family, a chat translation for the rest. */
@ExtendWith(NoLeaksExtension.class)
class CompletionsIT {
  static final String KEY = "sk-sw-completions000000000000000000000000000";

  static FakeProvider provider;
  static FakeControlPlane controlPlane;
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
        .provider("mock", ProviderType.MOCK, null)
        .route("instruct", "oai/gpt-3.5-turbo-instruct")
        .route("local", "compat/llama")
        .route("demo", "mock/mock-1")
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("completions-it"), Map.of());
    TestNodes.awaitVersion(node, 1);
    client = new NodeClient(node, KEY);
  }

  @AfterAll
  static void stop() {
    node.close();
    controlPlane.close();
    provider.close();
  }

  @BeforeEach
  void reset() {
    node.routingHealth().clear(); // a fresh node's view: no case inherits another's cooldowns or breakers
    provider.reset();
  }

  @Test
  void passesLegacyCompletionsThroughToTheOpenAiFamily() throws Exception {
    ObjectNode request = json("""
        {"model":"instruct","prompt":["one","two"],"suffix":"end","echo":true,"logprobs":2,"best_of":3,
         "max_tokens":5}""");

    HttpResponse<String> toOpenAi = client.post("/v1/completions", request);
    HttpResponse<String> toCompatible = client.post("/v1/completions",
        "{\"model\":\"local\",\"prompt\":[[1,2,3]],\"max_tokens\":5}");

    assertThat(toOpenAi.statusCode()).isEqualTo(200);
    assertThat(provider.requests().get(0).uri()).isEqualTo("/v1/completions");
    request.put("model", "gpt-3.5-turbo-instruct");
    assertThat(provider.requests().get(0).json()).isEqualTo(request);
    assertThat(body(toOpenAi).path("object").asString()).isEqualTo("text_completion");
    assertThat(toCompatible.statusCode()).isEqualTo(200);
    assertThat(provider.lastRequest().uri()).isEqualTo("/v1/completions");
    assertThat(provider.lastRequest().json().path("prompt").toString()).isEqualTo("[[1,2,3]]");
  }

  @Test
  void translatesAPromptIntoAChatRequestForOtherProviders() throws Exception {
    HttpResponse<String> response = client.post("/v1/completions", """
        {"model":"demo","prompt":"Say this is a test","max_tokens":7,"temperature":0,"n":1,"stop":["\\n"],"seed":4}""");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = body(response);
    assertThat(body.path("object").asString()).isEqualTo("text_completion");
    assertThat(body.path("id").asString()).startsWith("cmpl-");
    JsonNode choice = body.path("choices").get(0);
    assertThat(choice.path("text").asString()).isEqualTo("Hello from Spillway's mock provider. You said: Say this is a test");
    assertThat(choice.path("index").asInt()).isZero();
    assertThat(choice.path("logprobs").isNull()).isTrue();
    assertThat(choice.path("finish_reason").asString()).isEqualTo("stop");
    assertThat(body.path("usage").path("prompt_tokens").asInt()).isPositive();
  }

  @Test
  void streamsTextCompletionChunksTranslatedFromChat() throws Exception {
    HttpResponse<String> plain = client.post("/v1/completions",
        "{\"model\":\"demo\",\"prompt\":\"ping\",\"stream\":true}");
    HttpResponse<String> withUsage = client.post("/v1/completions",
        "{\"model\":\"demo\",\"prompt\":\"ping\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");

    List<NodeClient.Event> events = events(plain.body());
    assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
    StringBuilder text = new StringBuilder();
    for (NodeClient.Event event : events.subList(0, events.size() - 1)) {
      JsonNode chunk = event.json();
      assertThat(chunk.path("object").asString()).isEqualTo("text_completion");
      assertThat(chunk.has("usage")).isFalse();
      text.append(chunk.path("choices").get(0).path("text").asString());
    }
    assertThat(text.toString()).isEqualTo("Hello from Spillway's mock provider. You said: ping");
    assertThat(events.get(events.size() - 2).json().path("choices").get(0).path("finish_reason").asString())
        .isEqualTo("stop");
    List<NodeClient.Event> usageEvents = events(withUsage.body());
    JsonNode usageChunk = usageEvents.get(usageEvents.size() - 2).json();
    assertThat(usageChunk.path("choices")).isEmpty();
    assertThat(usageChunk.path("usage").path("completion_tokens").asInt()).isPositive();
  }

  @Test
  void relaysANativeStreamAndDropsTheUsageChunkItAskedForOnTheClientsBehalf() throws Exception {
    provider.enqueue(FakeResponse.stream().chunks(List.of("a", "b")));

    HttpResponse<String> response = client.post("/v1/completions",
        "{\"model\":\"instruct\",\"prompt\":\"x\",\"stream\":true}");

    assertThat(provider.lastRequest().json().path("stream_options").path("include_usage").asBoolean()).isTrue();
    List<NodeClient.Event> events = events(response.body());
    assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
    assertThat(response.body()).doesNotContain("\"usage\"").contains("\"text\":\"a\"", "\"text\":\"b\"");
  }

  @Test
  void refusesWhatChatCannotExpressWhenTheTargetNeedsTranslation() throws Exception {
    for (String body : List.of("{\"model\":\"demo\",\"prompt\":\"x\",\"suffix\":\"y\"}",
        "{\"model\":\"demo\",\"prompt\":[1,2,3]}", "{\"model\":\"demo\",\"prompt\":[\"a\",\"b\"]}",
        "{\"model\":\"demo\",\"prompt\":\"x\",\"echo\":true}", "{\"model\":\"demo\",\"prompt\":\"x\",\"logprobs\":1}",
        "{\"model\":\"demo\",\"prompt\":\"x\",\"best_of\":2}")) {
      HttpResponse<String> response = client.post("/v1/completions", body);

      assertThat(response.statusCode()).as(body).isEqualTo(400);
      assertThat(error(response).path("message").asString()).as(body).contains("mock: ", "native completions API");
    }
  }

  @Test
  void answersAMissingOrMalformedPromptWithA400() throws Exception {
    HttpResponse<String> missing = client.post("/v1/completions", "{\"model\":\"demo\"}");
    HttpResponse<String> wrong = client.post("/v1/completions", "{\"model\":\"demo\",\"prompt\":{\"a\":1}}");
    HttpResponse<String> mixed = client.post("/v1/completions", "{\"model\":\"demo\",\"prompt\":[\"a\",1]}");

    assertThat(List.of(missing, wrong, mixed)).allSatisfy(r -> {
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(error(r).path("param").asString()).isEqualTo("prompt");
    });
  }
}
