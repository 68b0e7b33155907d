package dev.spillway.dataplane;

import static dev.spillway.dataplane.NodeClient.JSON;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code POST /v1/responses}: native to OpenAI, translated through chat to everything else, streams included. */
@ExtendWith(NoLeaksExtension.class)
class ResponsesApiIT {
  static final String KEY = "sk-sw-responses00000000000000000000000000000";

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
        .route("native", "oai/gpt-native")
        .route("translated", "compat/gpt-compat")
        .route("demo", "mock/mock-1")
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("responses-it"), Map.of());
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
  void passesTheClientsBodyToOpenAisResponsesEndpointUnchangedButForTheModel() throws Exception {
    ObjectNode request = json("""
        {"model":"native","input":"hi","previous_response_id":"resp_earlier","store":true,
         "tools":[{"type":"web_search"}],"include":["reasoning.encrypted_content"]}""");

    HttpResponse<String> response = client.post("/v1/responses", request);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(provider.lastRequest().uri()).isEqualTo("/v1/responses");
    assertThat(provider.lastRequest().header("authorization")).isEqualTo("Bearer sk-openai-secret-000000");
    request.put("model", "gpt-native");
    assertThat(provider.lastRequest().json()).isEqualTo(request);
    JsonNode body = body(response);
    assertThat(body.path("object").asString()).isEqualTo("response");
    assertThat(body.path("output").get(0).path("content").get(0).path("text").asString()).isEqualTo("Echo: hi");
    assertThat(response.headers().firstValue("x-spillway-provider")).contains("oai");
  }

  @Test
  void translatesInstructionsInputItemsToolsAndFormatIntoAChatRequest() throws Exception {
    HttpResponse<String> response = client.post("/v1/responses", """
        {"model":"translated","instructions":"Be brief.","max_output_tokens":50,"temperature":0.2,"top_p":0.9,
         "store":true,"metadata":{"a":"b"},"user":"u-1","parallel_tool_calls":false,
         "input":[
           {"role":"user","content":[{"type":"input_text","text":"What is in"},
                                     {"type":"input_image","image_url":"https://img.example/cat.png","detail":"low"}]},
           {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Let me look."}]},
           {"type":"function_call","call_id":"call_1","name":"lookup","arguments":"{\\"q\\":\\"cat\\"}"},
           {"type":"function_call","call_id":"call_2","name":"lookup","arguments":"{\\"q\\":\\"dog\\"}"},
           {"type":"function_call_output","call_id":"call_1","output":"a cat"},
           {"type":"function_call_output","call_id":"call_2","output":"a dog"},
           {"role":"developer","content":"Answer in JSON."}],
         "tools":[{"type":"function","name":"lookup","description":"Looks up","parameters":{"type":"object"},
                   "strict":true}],
         "tool_choice":{"type":"function","name":"lookup"},
         "text":{"format":{"type":"json_schema","name":"answer","schema":{"type":"object"},"strict":true}}}""");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(provider.lastRequest().uri()).isEqualTo("/v1/chat/completions");
    assertThat(provider.lastRequest().json()).isEqualTo(JSON.readTree("""
        {"model":"gpt-compat",
         "messages":[
           {"role":"system","content":"Be brief."},
           {"role":"user","content":[{"type":"text","text":"What is in"},
                                     {"type":"image_url","image_url":{"url":"https://img.example/cat.png","detail":"low"}}]},
           {"role":"assistant","content":"Let me look.","tool_calls":[
             {"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\\"q\\":\\"cat\\"}"}},
             {"id":"call_2","type":"function","function":{"name":"lookup","arguments":"{\\"q\\":\\"dog\\"}"}}]},
           {"role":"tool","tool_call_id":"call_1","content":"a cat"},
           {"role":"tool","tool_call_id":"call_2","content":"a dog"},
           {"role":"system","content":"Answer in JSON."}],
         "tools":[{"type":"function","function":{"name":"lookup","description":"Looks up",
                   "parameters":{"type":"object"},"strict":true}}],
         "tool_choice":{"type":"function","function":{"name":"lookup"}},
         "max_completion_tokens":50,"temperature":0.2,"top_p":0.9,"parallel_tool_calls":false,"user":"u-1",
         "response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"},
                            "strict":true}}}"""));
    JsonNode body = body(response);
    assertThat(body.path("id").asString()).startsWith("resp_");
    assertThat(body.path("object").asString()).isEqualTo("response");
    assertThat(body.path("status").asString()).isEqualTo("completed");
    assertThat(body.path("instructions").asString()).isEqualTo("Be brief.");
    assertThat(body.path("max_output_tokens").asInt()).isEqualTo(50);
    JsonNode message = body.path("output").get(0);
    assertThat(message.path("type").asString()).isEqualTo("message");
    assertThat(message.path("role").asString()).isEqualTo("assistant");
    assertThat(message.path("content").get(0).path("type").asString()).isEqualTo("output_text");
    assertThat(message.path("content").get(0).path("text").asString()).isEqualTo("Echo: What is in");
    assertThat(body.path("usage").path("input_tokens").asInt()).isEqualTo(12);
    assertThat(body.path("usage").path("output_tokens").asInt()).isEqualTo(7);
    assertThat(body.path("usage").path("total_tokens").asInt()).isEqualTo(19);
  }

  @Test
  void answersToolCallsAsFunctionCallItems() throws Exception {
    provider.enqueue(FakeResponse.chat().toolCalls(FakeResponse.toolCall("call_a", "weather", "{\"city\":\"Oslo\"}"),
        FakeResponse.toolCall("call_b", "time", "{\"tz\":\"CET\"}")));

    HttpResponse<String> response = client.post("/v1/responses", """
        {"model":"translated","input":"weather and time?","tools":[
          {"type":"function","name":"weather","parameters":{"type":"object"}},
          {"type":"function","name":"time","parameters":{"type":"object"}}]}""");

    JsonNode output = body(response).path("output");
    assertThat(output).hasSize(2);
    assertThat(output.get(0).path("type").asString()).isEqualTo("function_call");
    assertThat(output.get(0).path("call_id").asString()).isEqualTo("call_a");
    assertThat(output.get(0).path("name").asString()).isEqualTo("weather");
    assertThat(output.get(0).path("arguments").asString()).isEqualTo("{\"city\":\"Oslo\"}");
    assertThat(output.get(1).path("call_id").asString()).isEqualTo("call_b");
    assertThat(output.get(1).path("status").asString()).isEqualTo("completed");
  }

  @Test
  void streamsOpenAisEventSequenceFromAChatStream() throws Exception {
    provider.enqueue(FakeResponse.stream());

    HttpResponse<String> response = client.post("/v1/responses",
        "{\"model\":\"translated\",\"input\":\"hi\",\"stream\":true}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t)
        .startsWith("text/event-stream"));
    List<NodeClient.Event> events = events(response.body());
    assertThat(events).extracting(NodeClient.Event::event).containsExactly("response.created",
        "response.in_progress", "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta", "response.output_text.delta",
        "response.output_text.delta", "response.output_text.delta", "response.output_text.done",
        "response.content_part.done", "response.output_item.done", "response.completed");
    for (int i = 0; i < events.size(); i++) {
      assertThat(events.get(i).json().path("sequence_number").asInt()).isEqualTo(i);
      assertThat(events.get(i).json().path("type").asString()).isEqualTo(events.get(i).event());
    }
    assertThat(events.get(0).json().path("response").path("status").asString()).isEqualTo("in_progress");
    String itemId = events.get(2).json().path("item").path("id").asString();
    assertThat(events.get(4).json().path("item_id").asString()).isEqualTo(itemId);
    assertThat(events.get(4).json().path("delta").asString()).isEqualTo("Hello");
    assertThat(events.get(9).json().path("text").asString()).isEqualTo("Hello from the fake provider");
    JsonNode completed = events.get(12).json().path("response");
    assertThat(completed.path("status").asString()).isEqualTo("completed");
    assertThat(completed.path("id").asString()).isEqualTo(events.get(0).json().path("response").path("id").asString());
    assertThat(completed.path("output").get(0).path("content").get(0).path("text").asString())
        .isEqualTo("Hello from the fake provider");
    assertThat(response.body()).doesNotContain("[DONE]");
  }

  @Test
  void streamsFunctionCallArgumentsAsTheyArrive() throws Exception {
    provider.enqueue(FakeResponse.stream().toolCalls(FakeResponse.toolCall("call_a", "weather", "{\"city\":\"Oslo\"}"),
        FakeResponse.toolCall("call_b", "time", "{\"tz\":\"CET\"}")));

    HttpResponse<String> response = client.post("/v1/responses",
        "{\"model\":\"translated\",\"input\":\"hi\",\"stream\":true}");

    List<NodeClient.Event> events = events(response.body());
    List<String> names = events.stream().map(NodeClient.Event::event).toList();
    assertThat(names).containsExactly("response.created", "response.in_progress",
        "response.output_item.added", "response.function_call_arguments.delta",
        "response.function_call_arguments.delta", "response.output_item.added",
        "response.function_call_arguments.delta", "response.function_call_arguments.delta",
        "response.function_call_arguments.done", "response.output_item.done",
        "response.function_call_arguments.done", "response.output_item.done", "response.completed");
    JsonNode added = events.get(2).json().path("item");
    assertThat(added.path("type").asString()).isEqualTo("function_call");
    assertThat(added.path("call_id").asString()).isEqualTo("call_a");
    assertThat(added.path("name").asString()).isEqualTo("weather");
    assertThat(events.get(8).json().path("arguments").asString()).isEqualTo("{\"city\":\"Oslo\"}");
    assertThat(events.get(10).json().path("arguments").asString()).isEqualTo("{\"tz\":\"CET\"}");
    JsonNode output = events.get(12).json().path("response").path("output");
    assertThat(output).hasSize(2);
    assertThat(output.get(1).path("type").asString()).isEqualTo("function_call");
    assertThat(output.get(1).path("arguments").asString()).isEqualTo("{\"tz\":\"CET\"}");
  }

  @Test
  void reportsATruncatedAnswerAsIncomplete() throws Exception {
    provider.enqueue(FakeResponse.stream().finishReason("length"));
    provider.enqueue(FakeResponse.chat().finishReason("length"));

    List<NodeClient.Event> events = events(client.post("/v1/responses",
        "{\"model\":\"translated\",\"input\":\"hi\",\"stream\":true}").body());
    JsonNode complete = body(client.post("/v1/responses", "{\"model\":\"translated\",\"input\":\"hi\"}"));

    NodeClient.Event last = events.get(events.size() - 1);
    assertThat(last.event()).isEqualTo("response.incomplete");
    assertThat(last.json().path("response").path("incomplete_details").path("reason").asString())
        .isEqualTo("max_output_tokens");
    assertThat(complete.path("status").asString()).isEqualTo("incomplete");
  }

  @Test
  void streamsNativelyFromOpenAiWithTheProvidersOwnEvents() throws Exception {
    provider.enqueue(FakeResponse.stream().chunks(List.of("Hi", " there")));

    HttpResponse<String> response = client.post("/v1/responses",
        "{\"model\":\"native\",\"input\":\"hi\",\"stream\":true}");

    assertThat(provider.lastRequest().uri()).isEqualTo("/v1/responses");
    assertThat(provider.lastRequest().json().has("stream_options")).isFalse();
    List<NodeClient.Event> events = events(response.body());
    assertThat(events).extracting(NodeClient.Event::event).containsExactly("response.created",
        "response.output_text.delta", "response.output_text.delta", "response.completed");
    assertThat(events.get(3).json().path("response").path("usage").path("input_tokens").asInt()).isEqualTo(12);
  }

  @Test
  void answersFromTheMockThroughTranslationStreamingWithUsage() throws Exception {
    JsonNode complete = body(client.post("/v1/responses", "{\"model\":\"demo\",\"input\":\"ping\"}"));
    List<NodeClient.Event> events = events(client.post("/v1/responses",
        "{\"model\":\"demo\",\"input\":\"ping\",\"stream\":true}").body());

    assertThat(complete.path("output").get(0).path("content").get(0).path("text").asString())
        .isEqualTo("Hello from Spillway's mock provider. You said: ping");
    JsonNode last = events.get(events.size() - 1).json();
    assertThat(last.path("type").asString()).isEqualTo("response.completed");
    assertThat(last.path("response").path("usage").path("output_tokens").asInt()).isPositive();
    StringBuilder deltas = new StringBuilder();
    events.stream().filter(e -> "response.output_text.delta".equals(e.event()))
        .forEach(e -> deltas.append(e.json().path("delta").asString()));
    assertThat(deltas.toString()).isEqualTo("Hello from Spillway's mock provider. You said: ping");
  }

  @Test
  void refusesStatefulAndBuiltInFeaturesWhenTheTargetNeedsTranslation() throws Exception {
    HttpResponse<String> previous = client.post("/v1/responses",
        "{\"model\":\"translated\",\"input\":\"more\",\"previous_response_id\":\"resp_1\"}");
    HttpResponse<String> webSearch = client.post("/v1/responses",
        "{\"model\":\"translated\",\"input\":\"news\",\"tools\":[{\"type\":\"web_search\"}]}");
    HttpResponse<String> fileInput = client.post("/v1/responses", """
        {"model":"demo","input":[{"role":"user","content":[{"type":"input_file","file_id":"file-1"}]}]}""");

    assertThat(List.of(previous, webSearch, fileInput)).allSatisfy(r -> {
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(error(r).path("code").asString()).isEqualTo("invalid_request");
    });
    assertThat(error(previous).path("message").asString()).contains("stateless", "previous_response_id",
        "provider type openai");
    assertThat(error(webSearch).path("message").asString()).contains("web_search", "tools[0]");
    assertThat(error(fileInput).path("message").asString()).contains("input[0].content[0]");
    assertThat(provider.requestCount()).isZero();
  }

  @Test
  void answersMalformedRequestsWithA400NamingTheField() throws Exception {
    List<String> params = new ArrayList<>();
    for (String body : List.of("{\"model\":\"demo\"}", "{\"model\":\"demo\",\"input\":7}",
        "{\"model\":\"demo\",\"input\":[{\"type\":\"message\",\"role\":\"robot\",\"content\":\"x\"}]}",
        "{\"model\":\"demo\",\"input\":\"x\",\"tool_choice\":\"sometimes\"}",
        "{\"model\":\"demo\",\"input\":\"x\",\"max_output_tokens\":-1}",
        "{\"model\":\"demo\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"yaml\"}}}",
        "{\"model\":\"demo\",\"input\":[{\"type\":\"function_call_output\",\"output\":\"x\"}]}")) {
      HttpResponse<String> response = client.post("/v1/responses", body);
      assertThat(response.statusCode()).as(body).isEqualTo(400);
      params.add(error(response).path("param").asString());
    }

    assertThat(params).containsExactly("input", "input", "input[0].role", "tool_choice", "max_output_tokens",
        "text.format.type", "input[0].call_id");
  }
}
