package dev.spillway.dataplane;

import static dev.spillway.dataplane.NodeClient.body;
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

/**
 * OpenAI chat features on the native path: whatever the client sends reaches the provider untouched but for
 * {@code model} (and {@code stream_options.include_usage}, which Spillway asks OpenAI for), and whatever the
 * provider answers reaches the client untouched.
 */
@ExtendWith(NoLeaksExtension.class)
class ChatFeaturesIT {
  static final String KEY = "sk-sw-features0000000000000000000000000000000";

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
        .route("gpt", "oai/gpt-4o")
        .route("local", "compat/llama")
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("chat-features-it"), Map.of());
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
  void passesToolsFormatsImagesAndSamplingFieldsThroughUntouched() throws Exception {
    ObjectNode request = json("""
        {"model":"gpt","messages":[
           {"role":"system","content":"You are terse."},
           {"role":"user","content":[{"type":"text","text":"What is this?"},
             {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}}]},
           {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
             "function":{"name":"lookup","arguments":"{}"}}]},
           {"role":"tool","tool_call_id":"call_1","content":"nothing"}],
         "tools":[{"type":"function","function":{"name":"lookup","description":"d",
           "parameters":{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]},"strict":true}}],
         "tool_choice":"required","parallel_tool_calls":true,
         "response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object"},"strict":true}},
         "n":2,"stop":["END","STOP"],"seed":42,"max_completion_tokens":100,"max_tokens":90,"temperature":0.7,
         "top_p":0.5,"logprobs":true,"top_logprobs":2,"presence_penalty":0.1,"frequency_penalty":0.2,
         "logit_bias":{"50256":-100},"user":"end-user-1","metadata":{"k":"v"},"store":false,
         "reasoning_effort":"low","service_tier":"auto","some_future_field":{"x":[1,2]}}""");

    HttpResponse<String> response = client.post("/v1/chat/completions", request);

    assertThat(response.statusCode()).isEqualTo(200);
    request.put("model", "gpt-4o");
    assertThat(provider.lastRequest().json()).isEqualTo(request);
  }

  @Test
  void passesJsonObjectFormatToCompatibleProvidersToo() throws Exception {
    ObjectNode request = json("""
        {"model":"local","messages":[{"role":"user","content":"json please"}],
         "response_format":{"type":"json_object"},"tool_choice":{"type":"function","function":{"name":"f"}},
         "tools":[{"type":"function","function":{"name":"f","parameters":{}}}]}""");

    client.post("/v1/chat/completions", request);

    request.put("model", "llama");
    assertThat(provider.lastRequest().json()).isEqualTo(request);
  }

  @Test
  void relaysParallelToolCallsAndSeveralChoices() throws Exception {
    provider.enqueue(FakeResponse.chat().toolCalls(FakeResponse.toolCall("call_a", "weather", "{\"c\":\"Oslo\"}"),
        FakeResponse.toolCall("call_b", "weather", "{\"c\":\"Rome\"}")));

    JsonNode tools = body(client.post("/v1/chat/completions", "{\"model\":\"gpt\",\"messages\":"
        + "[{\"role\":\"user\",\"content\":\"weather?\"}]}"));
    JsonNode several = body(client.post("/v1/chat/completions", "{\"model\":\"gpt\",\"n\":3,\"messages\":"
        + "[{\"role\":\"user\",\"content\":\"hi\"}]}"));

    JsonNode choice = tools.path("choices").get(0);
    assertThat(choice.path("finish_reason").asString()).isEqualTo("tool_calls");
    assertThat(choice.path("message").path("content").isNull()).isTrue();
    JsonNode calls = choice.path("message").path("tool_calls");
    assertThat(calls).hasSize(2);
    assertThat(calls.get(1).path("id").asString()).isEqualTo("call_b");
    assertThat(calls.get(1).path("function").path("arguments").asString()).isEqualTo("{\"c\":\"Rome\"}");
    assertThat(several.path("choices")).hasSize(3);
    assertThat(several.path("choices").get(2).path("index").asInt()).isEqualTo(2);
  }

  @Test
  void relaysStreamedToolCallsChunkByChunk() throws Exception {
    provider.enqueue(FakeResponse.stream().toolCalls(FakeResponse.toolCall("call_a", "weather", "{\"c\":\"Oslo\"}"),
        FakeResponse.toolCall("call_b", "time", "{\"tz\":\"CET\"}")));

    HttpResponse<String> response = client.post("/v1/chat/completions", "{\"model\":\"gpt\",\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"}]}");

    List<NodeClient.Event> events = events(response.body());
    assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
    StringBuilder[] arguments = {new StringBuilder(), new StringBuilder()};
    String[] names = new String[2];
    String finish = null;
    for (NodeClient.Event event : events.subList(0, events.size() - 1)) {
      JsonNode choice = event.json().path("choices").get(0);
      for (JsonNode call : choice.path("delta").path("tool_calls")) {
        int index = call.path("index").asInt();
        if (call.path("function").has("name")) {
          names[index] = call.path("function").path("name").asString();
        }
        arguments[index].append(call.path("function").path("arguments").asString(""));
      }
      if (choice.path("finish_reason").isString()) {
        finish = choice.path("finish_reason").asString();
      }
    }
    assertThat(names).containsExactly("weather", "time");
    assertThat(arguments[0].toString()).isEqualTo("{\"c\":\"Oslo\"}");
    assertThat(arguments[1].toString()).isEqualTo("{\"tz\":\"CET\"}");
    assertThat(finish).isEqualTo("tool_calls");
  }

  @Test
  void streamsSeveralChoicesAndTheUsageChunkOnlyWhenAsked() throws Exception {
    provider.respondWith(FakeResponse.stream());

    HttpResponse<String> withUsage = client.post("/v1/chat/completions", "{\"model\":\"gpt\",\"stream\":true,\"n\":2,"
        + "\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    HttpResponse<String> withoutUsage = client.post("/v1/chat/completions", "{\"model\":\"gpt\",\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

    List<NodeClient.Event> events = events(withUsage.body());
    assertThat(events).filteredOn(e -> e.data().contains("\"index\":1")).isNotEmpty();
    JsonNode usage = events.get(events.size() - 2).json();
    assertThat(usage.path("choices")).isEmpty();
    assertThat(usage.path("usage").path("total_tokens").asInt()).isEqualTo(19);
    assertThat(provider.lastRequest().json().path("stream_options").path("include_usage").asBoolean()).isTrue();
    assertThat(withoutUsage.body()).doesNotContain("\"usage\"").endsWith("data: [DONE]\n\n");
  }
}
