package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.ProviderType;
import dev.spillway.config.RetryConfig;
import dev.spillway.testsupport.FakeAnthropic;
import dev.spillway.testsupport.FakeAnthropic.Reply;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Anthropic in both directions through one node: OpenAI-format clients against an {@code anthropic} provider (a fake
 * Anthropic API), Anthropic-format clients ({@code /v1/messages}) against that provider natively, against an
 * OpenAI-compatible fake and against the built-in mock, and {@code /v1/messages/count_tokens}.
 */
@ExtendWith(NoLeaksExtension.class)
class AnthropicMessagesIT {
  static final String KEY = "sk-sw-anthropic0000000000000000000000000000000";
  static final String ANTHROPIC_SECRET = "sk-ant-upstream-secret-0123456789";
  static final JsonMapper JSON = JsonMapper.builder().build();

  static FakeAnthropic anthropic;
  static FakeProvider openAi;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    anthropic = FakeAnthropic.start();
    openAi = FakeProvider.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("claude", ProviderType.ANTHROPIC, anthropic.baseUrl(), ANTHROPIC_SECRET)
        .provider("claude-v1", ProviderType.ANTHROPIC, anthropic.baseUrl() + "/v1",
            Map.of("anthropic_beta", "prompt-caching-2024-07-31", "anthropic_version", "2024-01-01",
                "default_max_tokens", "1000"), null, ANTHROPIC_SECRET)
        .provider("oai", ProviderType.OPENAI_COMPATIBLE, openAi.baseUrl(), "sk-oai-upstream-000000")
        .provider("mock", ProviderType.MOCK, null)
        .route("sonnet", "claude/claude-sonnet-4-5")
        .route("sonnet-retrying", List.of("claude/claude-sonnet-4-5"), List.of(), new RetryConfig(2, 1))
        .route("gpt", "oai/gpt-4o-mini")
        .route("demo", "mock/mock-1")
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("anthropic-it"), Map.of());
    TestNodes.awaitVersion(node, 1);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    node.close();
    controlPlane.close();
    anthropic.close();
    openAi.close();
  }

  @BeforeEach
  void reset() {
    node.routingHealth().clear(); // a fresh node's view: no case inherits another's cooldowns or breakers
    anthropic.reset();
    openAi.reset();
  }

  /** OpenAI chat completions clients against an {@code anthropic} provider. */
  @Nested
  class OpenAiClientToAnthropic {
    @Test
    void translatesAChatCompletionToAnthropicAndTheMessageBack() throws Exception {
      anthropic.enqueue(Reply.text("Bonjour!").usage(40, 3).cache(10, 5));

      HttpResponse<String> response = post("/v1/chat/completions", """
          {"model":"sonnet","temperature":0.2,"messages":[
            {"role":"system","content":"Answer in French."},{"role":"user","content":"Hello"}]}""");

      assertThat(response.statusCode()).isEqualTo(200);
      JsonNode body = JSON.readTree(response.body());
      assertThat(body.path("object").asString()).isEqualTo("chat.completion");
      assertThat(body.path("choices").get(0).path("message").path("content").asString()).isEqualTo("Bonjour!");
      assertThat(body.path("choices").get(0).path("finish_reason").asString()).isEqualTo("stop");
      assertThat(body.path("usage").path("prompt_tokens").asLong()).isEqualTo(55);
      assertThat(body.path("usage").path("completion_tokens").asLong()).isEqualTo(3);
      assertThat(body.path("usage").path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(10);
      assertThat(response.headers().firstValue("x-spillway-provider")).contains("claude");
      var upstream = anthropic.lastRequest();
      assertThat(upstream.uri()).isEqualTo("/v1/messages");
      assertThat(upstream.header("x-api-key")).isEqualTo(ANTHROPIC_SECRET);
      assertThat(upstream.header("anthropic-version")).isEqualTo("2023-06-01");
      assertThat(upstream.header("authorization")).isNull();
      assertThat(upstream.headers().values()).noneMatch(v -> v.contains(KEY));
      JsonNode sent = upstream.json();
      assertThat(sent.path("model").asString()).isEqualTo("claude-sonnet-4-5");
      assertThat(sent.path("system").asString()).isEqualTo("Answer in French.");
      assertThat(sent.path("max_tokens").asInt()).isEqualTo(4096);
      assertThat(sent.path("messages").toString())
          .isEqualTo("[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"}]}]");
    }

    @Test
    void streamsAnthropicEventsAsChatCompletionChunks() throws Exception {
      anthropic.enqueue(Reply.text("one two three").usage(11, 4));

      HttpResponse<String> response = post("/v1/chat/completions", """
          {"model":"sonnet","stream":true,"stream_options":{"include_usage":true},
           "messages":[{"role":"user","content":"count"}]}""");

      assertThat(response.statusCode()).isEqualTo(200);
      List<JsonNode> chunks = openAiChunks(response.body());
      assertThat(response.body()).endsWith("data: [DONE]\n\n");
      assertThat(chunks.get(0).path("choices").get(0).path("delta").path("role").asString()).isEqualTo("assistant");
      assertThat(text(chunks)).isEqualTo("one two three");
      assertThat(chunks).anySatisfy(c -> assertThat(c.path("choices").path(0).path("finish_reason").asString())
          .isEqualTo("stop"));
      JsonNode usage = chunks.get(chunks.size() - 1);
      assertThat(usage.path("choices").isEmpty()).isTrue();
      assertThat(usage.path("usage").path("prompt_tokens").asLong()).isEqualTo(11);
      assertThat(usage.path("usage").path("completion_tokens").asLong()).isEqualTo(4);
      assertThat(anthropic.lastRequest().json().path("stream").asBoolean()).isTrue();
      assertThat(anthropic.lastRequest().json().has("stream_options")).isFalse();
    }

    @Test
    void dropsTheUsageChunkWhenTheClientDidNotAskForIt() throws Exception {
      anthropic.enqueue(Reply.text("quiet"));

      HttpResponse<String> response = post("/v1/chat/completions",
          "{\"model\":\"sonnet\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");

      assertThat(text(openAiChunks(response.body()))).isEqualTo("quiet");
      assertThat(response.body()).doesNotContain("\"usage\"");
    }

    @Test
    void mapsToolsBothWaysAndStreamsToolCallArguments() throws Exception {
      String request = """
          {"model":"sonnet","STREAM_FIELD"
           "messages":[{"role":"user","content":"Weather in Paris?"}],
           "tools":[{"type":"function","function":{"name":"get_weather","parameters":
             {"type":"object","properties":{"city":{"type":"string"}}}}}],
           "tool_choice":{"type":"function","function":{"name":"get_weather"}}}""";
      Reply toolUse = Reply.toolUse("toolu_01", "get_weather", "{\"city\":\"Paris\"}");
      anthropic.enqueue(toolUse, toolUse);

      HttpResponse<String> complete = post("/v1/chat/completions", request.replace("\"STREAM_FIELD\"", ""));
      HttpResponse<String> streamed = post("/v1/chat/completions",
          request.replace("\"STREAM_FIELD\"", "\"stream\":true,"));

      JsonNode choice = JSON.readTree(complete.body()).path("choices").get(0);
      assertThat(choice.path("finish_reason").asString()).isEqualTo("tool_calls");
      JsonNode call = choice.path("message").path("tool_calls").get(0);
      assertThat(call.path("id").asString()).isEqualTo("toolu_01");
      assertThat(call.path("function").path("name").asString()).isEqualTo("get_weather");
      assertThat(JSON.readTree(call.path("function").path("arguments").asString()).path("city").asString())
          .isEqualTo("Paris");
      JsonNode sent = anthropic.requests().get(0).json();
      assertThat(sent.path("tools").get(0).path("input_schema").path("properties").has("city")).isTrue();
      assertThat(sent.path("tool_choice").toString()).isEqualTo("{\"type\":\"tool\",\"name\":\"get_weather\"}");
      List<JsonNode> chunks = openAiChunks(streamed.body());
      StringBuilder arguments = new StringBuilder();
      chunks.forEach(c -> c.path("choices").path(0).path("delta").path("tool_calls")
          .forEach(t -> arguments.append(t.path("function").path("arguments").asString(""))));
      assertThat(JSON.readTree(arguments.toString()).path("city").asString()).isEqualTo("Paris");
      assertThat(streamed.body()).contains("\"finish_reason\":\"tool_calls\"").endsWith("data: [DONE]\n\n");
    }

    @Test
    void refusesWhatAnthropicCannotDoWithA400ThatNamesTheField() throws Exception {
      HttpResponse<String> response = post("/v1/chat/completions",
          "{\"model\":\"sonnet\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");

      assertThat(response.statusCode()).isEqualTo(400);
      assertThat(JSON.readTree(response.body()).path("error").path("message").asString()).contains("n must be 1");
      assertThat(anthropic.requestCount()).isZero();
    }

    @Test
    void reportsAnthropicErrorsWithTheirStatusAndMessage() throws Exception {
      anthropic.enqueue(Reply.error(529, "overloaded_error", "Overloaded"),
          Reply.error(400, "invalid_request_error", "messages.0.content: bad"),
          Reply.error(401, "authentication_error", "invalid x-api-key"),
          Reply.error(429, "rate_limit_error", "slow down"));

      HttpResponse<String> overloaded = post("/v1/chat/completions", chat("sonnet"));
      HttpResponse<String> invalid = post("/v1/chat/completions", chat("sonnet"));
      HttpResponse<String> refused = post("/v1/chat/completions", chat("sonnet"));
      node.routingHealth().clear(); // the refused key would otherwise stay out until the next snapshot
      HttpResponse<String> limited = post("/v1/chat/completions", chat("sonnet"));

      assertThat(overloaded.statusCode()).isEqualTo(502);
      assertThat(errorMessage(overloaded)).contains("claude answered 529", "Overloaded");
      assertThat(invalid.statusCode()).isEqualTo(400);
      assertThat(errorMessage(invalid)).contains("messages.0.content: bad");
      assertThat(refused.statusCode()).isEqualTo(502);
      assertThat(errorMessage(refused)).contains("refused Spillway's credentials").doesNotContain(ANTHROPIC_SECRET);
      assertThat(limited.statusCode()).isEqualTo(429);
      assertThat(limited.headers().firstValue("retry-after")).isPresent();
    }

    @Test
    void retriesAnOverloadedAnthropicProvider() throws Exception {
      anthropic.enqueue(Reply.error(529, "overloaded_error", "Overloaded"), Reply.text("second time lucky"));

      HttpResponse<String> response = post("/v1/chat/completions", chat("sonnet-retrying"));

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("x-spillway-attempts")).contains("2");
      assertThat(anthropic.requestCount()).isEqualTo(2);
    }

    @Test
    void endsTheStreamWithAnErrorEventWhenAnthropicSendsOne() throws Exception {
      anthropic.enqueue(Reply.text("partial answer here").errorEventAfter(4, "overloaded_error", "Overloaded"));

      HttpResponse<String> response = post("/v1/chat/completions",
          "{\"model\":\"sonnet\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).contains("partial ").contains("overloaded_error: Overloaded")
          .contains("\"code\":\"upstream_error\"").doesNotContain("[DONE]");
    }

    @Test
    void cancelsTheAnthropicStreamWhenTheClientHangsUp() throws Exception {
      CompletableFuture<Void> never = new CompletableFuture<>();
      anthropic.enqueue(Reply.text("a b c d").holdAfter(4, never));
      String body = "{\"model\":\"sonnet\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";

      String line = TestNodes.readUntilThenHangUp(node, KEY, body, "\"content\":\"a \"");
      assertThat(line).contains("\"content\":\"a \"");

      await().atMost(Duration.ofSeconds(3)).until(() -> anthropic.abandonedStreams() == 1);
      assertThat(anthropic.completedStreams()).isZero();
    }

    @Test
    void callsAnthropicUnderABaseUrlWithV1AndAddsTheConfiguredBetaAndVersion() throws Exception {
      anthropic.enqueue(Reply.text("ok"));

      HttpResponse<String> response = post("/v1/chat/completions", chat("claude-v1/claude-haiku-4-5"));

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(anthropic.lastRequest().uri()).isEqualTo("/v1/messages");
      assertThat(anthropic.lastRequest().header("anthropic-beta")).isEqualTo("prompt-caching-2024-07-31");
      assertThat(anthropic.lastRequest().header("anthropic-version")).isEqualTo("2024-01-01");
      assertThat(anthropic.lastRequest().json().path("max_tokens").asInt()).isEqualTo(1000);
    }
  }

  /** Anthropic Messages clients against an {@code anthropic} provider: the native path. */
  @Nested
  class AnthropicClientToAnthropic {
    @Test
    void passesTheBodyThroughWithTheClientsVersionAndBetaFlags() throws Exception {
      anthropic.enqueue(Reply.text("native").usage(5, 2));
      String body = """
          {"model":"sonnet","max_tokens":64,"system":[{"type":"text","text":"sys","cache_control":{"type":"ephemeral"}}],
           "messages":[{"role":"user","content":"hi"}],"service_tier":"auto",
           "tools":[{"type":"web_search_20250305","name":"web_search","max_uses":2}]}""";

      HttpResponse<String> response = postMessages("/v1/messages", body, "anthropic-version", "2025-02-19",
          "anthropic-beta", "interleaved-thinking-2025-05-14,files-api-2025-04-14", "x-request-id", "req-msg-1");

      assertThat(response.statusCode()).isEqualTo(200);
      JsonNode message = JSON.readTree(response.body());
      assertThat(message.path("type").asString()).isEqualTo("message");
      assertThat(message.path("content").get(0).path("text").asString()).isEqualTo("native");
      assertThat(message.path("id").asString()).startsWith("msg_fake");
      assertThat(response.headers().firstValue("request-id")).contains("req-msg-1");
      assertThat(response.headers().firstValue("x-request-id")).contains("req-msg-1");
      var upstream = anthropic.lastRequest();
      ObjectNode expected = (ObjectNode) JSON.readTree(body);
      expected.put("model", "claude-sonnet-4-5");
      assertThat(upstream.json()).isEqualTo(expected);
      assertThat(upstream.header("anthropic-version")).isEqualTo("2025-02-19");
      assertThat(upstream.header("anthropic-beta")).isEqualTo("interleaved-thinking-2025-05-14,files-api-2025-04-14");
      assertThat(upstream.header("x-api-key")).isEqualTo(ANTHROPIC_SECRET);
    }

    @Test
    void relaysTheEventStreamUnchangedAndRecordsItsUsage() throws Exception {
      anthropic.enqueue(Reply.echo().thenThinking("hmm", "sig").thenText("streamed text").usage(123, 45));
      double inputBefore = tokens("claude", "input");
      double outputBefore = tokens("claude", "output");

      HttpResponse<String> response = postMessages("/v1/messages",
          "{\"model\":\"sonnet\",\"max_tokens\":64,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t)
          .startsWith("text/event-stream"));
      List<String> types = eventTypes(response.body());
      assertThat(types).containsExactly("message_start", "content_block_start", "ping", "content_block_delta",
          "content_block_delta", "content_block_stop", "content_block_start", "content_block_delta",
          "content_block_delta", "content_block_stop", "message_delta", "message_stop");
      assertThat(response.body()).contains("\"signature_delta\"", "\"streamed \"");
      await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
        assertThat(tokens("claude", "input") - inputBefore).isEqualTo(123);
        assertThat(tokens("claude", "output") - outputBefore).isEqualTo(45);
      });
    }

    @Test
    void answersErrorsInAnthropicsShape() throws Exception {
      anthropic.enqueue(Reply.error(529, "overloaded_error", "Overloaded"),
          Reply.error(429, "rate_limit_error", "Number of request tokens has exceeded your rate limit"));

      HttpResponse<String> overloaded = postMessages("/v1/messages", messages("sonnet", false));
      HttpResponse<String> limited = postMessages("/v1/messages", messages("sonnet", false));
      HttpResponse<String> noMaxTokens = postMessages("/v1/messages",
          "{\"model\":\"sonnet\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
      HttpResponse<String> badRole = postMessages("/v1/messages",
          "{\"model\":\"sonnet\",\"max_tokens\":5,\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}");
      HttpResponse<String> unknownModel = postMessages("/v1/messages", messages("nope", false));
      HttpResponse<String> noKey = http.send(HttpRequest.newBuilder(TestNodes.uri(node, "/v1/messages"))
          .header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(messages("sonnet", false))).build(),
          HttpResponse.BodyHandlers.ofString());

      assertAnthropicError(overloaded, 502, "api_error", "Overloaded");
      assertAnthropicError(limited, 429, "rate_limit_error", "rate limit");
      assertThat(limited.headers().firstValue("retry-after")).isPresent();
      assertAnthropicError(noMaxTokens, 400, "invalid_request_error", "max_tokens: Field required");
      assertAnthropicError(badRole, 400, "invalid_request_error", "messages.0.role: must be user or assistant");
      assertAnthropicError(unknownModel, 404, "not_found_error", "nope");
      assertAnthropicError(noKey, 401, "authentication_error", "missing virtual key");
      assertThat(anthropic.requestCount()).isEqualTo(2);
    }
  }

  /** Anthropic Messages clients against an OpenAI-compatible provider: translation both ways. */
  @Nested
  class AnthropicClientToOpenAiCompatible {
    @Test
    void translatesTheRequestAndAnswersWithAnAnthropicMessage() throws Exception {
      openAi.enqueue(FakeResponse.chat().usage(30, 8));

      HttpResponse<String> response = postMessages("/v1/messages", """
          {"model":"gpt","max_tokens":200,"system":"Be nice.","stop_sequences":["END"],"top_k":3,
           "metadata":{"user_id":"u-7"},"messages":[{"role":"user","content":[{"type":"text","text":"hello there"}]}]}""");

      assertThat(response.statusCode()).isEqualTo(200);
      JsonNode message = JSON.readTree(response.body());
      assertThat(message.path("type").asString()).isEqualTo("message");
      assertThat(message.path("role").asString()).isEqualTo("assistant");
      assertThat(message.path("id").asString()).startsWith("msg_");
      assertThat(message.path("content").toString())
          .isEqualTo("[{\"type\":\"text\",\"text\":\"Echo: hello there\"}]");
      assertThat(message.path("stop_reason").asString()).isEqualTo("end_turn");
      assertThat(message.path("usage").path("input_tokens").asLong()).isEqualTo(30);
      assertThat(message.path("usage").path("output_tokens").asLong()).isEqualTo(8);
      assertThat(response.headers().firstValue("request-id")).isPresent();
      JsonNode sent = openAi.lastRequest().json();
      assertThat(openAi.lastRequest().uri()).isEqualTo("/v1/chat/completions");
      assertThat(sent.path("model").asString()).isEqualTo("gpt-4o-mini");
      assertThat(sent.path("messages").get(0).toString()).isEqualTo("{\"role\":\"system\",\"content\":\"Be nice.\"}");
      assertThat(sent.path("max_tokens").asInt()).isEqualTo(200);
      assertThat(sent.path("stop").toString()).isEqualTo("[\"END\"]");
      assertThat(sent.path("user").asString()).isEqualTo("u-7");
      assertThat(sent.propertyNames()).noneMatch(name -> name.startsWith("x_spillway_"));
    }

    @Test
    void streamsAnthropicsEventSequence() throws Exception {
      openAi.enqueue(FakeResponse.stream().chunks(List.of("Hello", " there")));

      HttpResponse<String> response = postMessages("/v1/messages", messages("gpt", true));

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(eventTypes(response.body())).containsExactly("message_start", "content_block_start",
          "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop");
      Map<String, JsonNode> last = lastEvents(response.body());
      assertThat(last.get("message_start").path("message").path("role").asString()).isEqualTo("assistant");
      assertThat(last.get("message_delta").path("delta").path("stop_reason").asString()).isEqualTo("end_turn");
      assertThat(response.body()).contains("\"text_delta\",\"text\":\"Hello\"", "\"text\":\" there\"");
    }

    @Test
    void turnsToolCallsIntoToolUseBlocksCompleteAndStreamed() throws Exception {
      FakeResponse.ToolCall call = FakeResponse.toolCall("call_9", "get_weather", "{\"city\":\"Rome\"}");
      openAi.enqueue(FakeResponse.chat().toolCalls(call), FakeResponse.stream().toolCalls(call));
      String request = """
          {"model":"gpt","max_tokens":100,"STREAM"
           "tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
           "tool_choice":{"type":"any"},
           "messages":[{"role":"user","content":"Weather?"},
             {"role":"assistant","content":[{"type":"tool_use","id":"toolu_0","name":"get_weather","input":{"city":"Oslo"}}]},
             {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_0","content":"-3C"},
               {"type":"text","text":"And Rome?"}]}]}""";

      HttpResponse<String> complete = postMessages("/v1/messages", request.replace("\"STREAM\"", ""));
      HttpResponse<String> streamed = postMessages("/v1/messages", request.replace("\"STREAM\"", "\"stream\":true,"));

      JsonNode message = JSON.readTree(complete.body());
      assertThat(message.path("stop_reason").asString()).isEqualTo("tool_use");
      JsonNode toolUse = message.path("content").get(0);
      assertThat(toolUse.path("type").asString()).isEqualTo("tool_use");
      assertThat(toolUse.path("id").asString()).isEqualTo("call_9");
      assertThat(toolUse.path("input").toString()).isEqualTo("{\"city\":\"Rome\"}");
      JsonNode sent = openAi.requests().get(0).json();
      assertThat(sent.path("tool_choice").asString()).isEqualTo("required");
      assertThat(sent.path("messages").get(1).path("tool_calls").get(0).path("function").path("arguments")
          .asString()).isEqualTo("{\"city\":\"Oslo\"}");
      assertThat(sent.path("messages").get(2).toString())
          .isEqualTo("{\"role\":\"tool\",\"tool_call_id\":\"toolu_0\",\"content\":\"-3C\"}");
      assertThat(sent.path("messages").get(3).toString()).isEqualTo("{\"role\":\"user\",\"content\":\"And Rome?\"}");
      StringBuilder input = new StringBuilder();
      for (JsonNode event : events(streamed.body())) {
        if ("input_json_delta".equals(event.path("delta").path("type").asString(""))) {
          input.append(event.path("delta").path("partial_json").asString());
        }
      }
      assertThat(JSON.readTree(input.toString()).path("city").asString()).isEqualTo("Rome");
      assertThat(lastEvents(streamed.body()).get("message_delta").path("delta").path("stop_reason").asString())
          .isEqualTo("tool_use");
      assertThat(lastEvents(streamed.body()).get("content_block_start").path("content_block").path("name")
          .asString()).isEqualTo("get_weather");
    }

    @Test
    void refusesAnthropicServerToolsForAProviderThatCannotRunThem() throws Exception {
      HttpResponse<String> response = postMessages("/v1/messages", """
          {"model":"gpt","max_tokens":10,"tools":[{"type":"web_search_20250305","name":"web_search"}],
           "messages":[{"role":"user","content":"news"}]}""");

      assertAnthropicError(response, 400, "invalid_request_error", "web_search_20250305");
      assertThat(openAi.requestCount()).isZero();
    }
  }

  /** Anthropic Messages clients against the built-in mock. */
  @Nested
  class AnthropicClientToMock {
    @Test
    void answersCompleteAndStreamedMessagesEvenWithTools() throws Exception {
      String tools = ",\"tools\":[{\"name\":\"t\",\"input_schema\":{\"type\":\"object\"}}]";
      HttpResponse<String> complete = postMessages("/v1/messages",
          "{\"model\":\"demo\",\"max_tokens\":10" + tools + ",\"messages\":[{\"role\":\"user\",\"content\":\"ping\"}]}");
      HttpResponse<String> streamed = postMessages("/v1/messages", "{\"model\":\"demo\",\"max_tokens\":10,"
          + "\"stream\":true" + tools + ",\"messages\":[{\"role\":\"user\",\"content\":\"ping\"}]}");

      assertThat(complete.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(complete.body()).path("content").get(0).path("text").asString())
          .isEqualTo("Hello from Spillway's mock provider. You said: ping");
      assertThat(streamed.statusCode()).isEqualTo(200);
      List<String> types = eventTypes(streamed.body());
      assertThat(types).startsWith("message_start", "content_block_start").endsWith("content_block_stop",
          "message_delta", "message_stop");
      StringBuilder text = new StringBuilder();
      events(streamed.body()).forEach(e -> text.append(e.path("delta").path("text").asString("")));
      assertThat(text).hasToString("Hello from Spillway's mock provider. You said: ping");
      JsonNode usage = lastEvents(streamed.body()).get("message_delta").path("usage");
      assertThat(usage.path("input_tokens").asLong()).isPositive();
      assertThat(usage.path("output_tokens").asLong()).isPositive();
    }
  }

  /** {@code POST /v1/messages/count_tokens}. */
  @Nested
  class CountTokens {
    @Test
    void asksAnAnthropicProviderForItsCount() throws Exception {
      anthropic.enqueue(Reply.countTokens(2095));

      HttpResponse<String> response = postMessages("/v1/messages/count_tokens",
          "{\"model\":\"sonnet\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world\"}]}",
          "anthropic-beta", "token-counting-2024-11-01");

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("{\"input_tokens\":2095}");
      assertThat(response.headers().firstValue("x-spillway-token-count")).contains("provider");
      assertThat(anthropic.lastRequest().uri()).isEqualTo("/v1/messages/count_tokens");
      assertThat(anthropic.lastRequest().json().path("model").asString()).isEqualTo("claude-sonnet-4-5");
      assertThat(anthropic.lastRequest().header("anthropic-beta")).isEqualTo("token-counting-2024-11-01");
      assertThat(anthropic.lastRequest().header("x-api-key")).isEqualTo(ANTHROPIC_SECRET);
    }

    @Test
    void estimatesLocallyForOtherProvidersAndTheMock() throws Exception {
      String shortPrompt = "{\"model\":\"MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world\"}]}";
      String longPrompt = "{\"model\":\"MODEL\",\"system\":\"You are a helpful assistant.\",\"messages\":"
          + "[{\"role\":\"user\",\"content\":\"" + "tokens ".repeat(200) + "\"}],"
          + "\"tools\":[{\"name\":\"lookup\",\"input_schema\":{\"type\":\"object\"}}]}";

      HttpResponse<String> shortGpt = postMessages("/v1/messages/count_tokens", shortPrompt.replace("MODEL", "gpt"));
      HttpResponse<String> longGpt = postMessages("/v1/messages/count_tokens", longPrompt.replace("MODEL", "gpt"));
      HttpResponse<String> mock = postMessages("/v1/messages/count_tokens", shortPrompt.replace("MODEL", "demo"));

      assertThat(shortGpt.statusCode()).isEqualTo(200);
      assertThat(shortGpt.headers().firstValue("x-spillway-token-count")).contains("estimate");
      long few = JSON.readTree(shortGpt.body()).path("input_tokens").asLong();
      long many = JSON.readTree(longGpt.body()).path("input_tokens").asLong();
      assertThat(few).isBetween(5L, 15L);
      assertThat(many).isGreaterThan(200L);
      assertThat(JSON.readTree(mock.body()).path("input_tokens").asLong()).isEqualTo(few);
      assertThat(openAi.requestCount()).isZero();
    }

    @Test
    void estimatesWhenTheAnthropicProviderIsOverloadedButPassesItsRefusalsOn() throws Exception {
      anthropic.enqueue(Reply.error(529, "overloaded_error", "Overloaded"),
          Reply.error(400, "invalid_request_error", "messages: bad"));
      String body = "{\"model\":\"sonnet\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello, world\"}]}";

      HttpResponse<String> overloaded = postMessages("/v1/messages/count_tokens", body);
      HttpResponse<String> refused = postMessages("/v1/messages/count_tokens", body);

      assertThat(overloaded.statusCode()).isEqualTo(200);
      assertThat(overloaded.headers().firstValue("x-spillway-token-count")).contains("estimate");
      assertThat(JSON.readTree(overloaded.body()).path("input_tokens").asLong()).isPositive();
      assertAnthropicError(refused, 400, "invalid_request_error", "messages: bad");
    }

    @Test
    void validatesTheRequestAndTheKey() throws Exception {
      HttpResponse<String> noMessages = postMessages("/v1/messages/count_tokens", "{\"model\":\"gpt\"}");
      HttpResponse<String> get = http.send(HttpRequest.newBuilder(TestNodes.uri(node, "/v1/messages/count_tokens"))
          .header("x-api-key", KEY).GET().build(), HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> badKey = http.send(HttpRequest.newBuilder(TestNodes.uri(node, "/v1/messages/count_tokens"))
          .header("x-api-key", "sk-sw-wrong0000000000000000000000000000000000")
          .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt\",\"messages\":[]}")).build(),
          HttpResponse.BodyHandlers.ofString());

      assertAnthropicError(noMessages, 400, "invalid_request_error", "messages: Field required");
      assertThat(get.statusCode()).isEqualTo(405);
      assertAnthropicError(badKey, 401, "authentication_error", "invalid virtual key");
      assertThat(badKey.body()).doesNotContain("sk-sw-wrong");
    }
  }

  static void assertAnthropicError(HttpResponse<String> response, int status, String type, String message) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.path("type").asString()).isEqualTo("error");
    assertThat(body.path("error").path("type").asString()).isEqualTo(type);
    assertThat(body.path("error").path("message").asString()).contains(message);
    assertThat(response.headers().firstValue("request-id")).isPresent();
  }

  static String chat(String model) {
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  static String messages(String model, boolean stream) {
    return "{\"model\":\"" + model + "\",\"max_tokens\":50,\"stream\":" + stream
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  static String errorMessage(HttpResponse<String> response) {
    return JSON.readTree(response.body()).path("error").path("message").asString();
  }

  static List<JsonNode> openAiChunks(String body) {
    List<JsonNode> chunks = new ArrayList<>();
    for (String line : body.split("\n")) {
      if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
        chunks.add(JSON.readTree(line.substring(6)));
      }
    }
    return chunks;
  }

  static String text(List<JsonNode> chunks) {
    StringBuilder text = new StringBuilder();
    chunks.forEach(c -> text.append(c.path("choices").path(0).path("delta").path("content").asString("")));
    return text.toString();
  }

  /** The {@code event:} names of an Anthropic stream, checking that each data line's type matches. */
  static List<String> eventTypes(String body) {
    List<String> types = new ArrayList<>();
    for (String block : body.split("\n\n")) {
      Matcher event = Pattern.compile("^event: (.+)$", Pattern.MULTILINE).matcher(block);
      Matcher data = Pattern.compile("^data: (.+)$", Pattern.MULTILINE).matcher(block);
      if (event.find() && data.find()) {
        types.add(event.group(1));
        assertThat(JSON.readTree(data.group(1)).path("type").asString()).isEqualTo(event.group(1));
      }
    }
    return types;
  }

  static List<JsonNode> events(String body) {
    List<JsonNode> events = new ArrayList<>();
    for (String line : body.split("\n")) {
      if (line.startsWith("data: ")) {
        events.add(JSON.readTree(line.substring(6)));
      }
    }
    return events;
  }

  static Map<String, JsonNode> lastEvents(String body) {
    Map<String, JsonNode> last = new LinkedHashMap<>();
    events(body).forEach(e -> last.put(e.path("type").asString(), e));
    return last;
  }

  /** {@code spillway_tokens_total{provider,direction}} from the node's /metrics, 0 when absent. */
  static double tokens(String provider, String direction) throws Exception {
    String text = http.send(HttpRequest.newBuilder(TestNodes.adminUri(node, "/metrics")).GET().build(),
        HttpResponse.BodyHandlers.ofString()).body();
    for (String line : text.split("\n")) {
      if (line.startsWith("spillway_tokens_total{") && line.contains("provider=\"" + provider + "\"")
          && line.contains("direction=\"" + direction + "\"")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(TestNodes.uri(node, path))
        .header("content-type", "application/json")
        .header("Authorization", "Bearer " + KEY)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** As the Anthropic SDK sends it: {@code x-api-key} and {@code anthropic-version}, plus extra headers. */
  static HttpResponse<String> postMessages(String path, String body, String... headers) throws Exception {
    HttpRequest.Builder builder = HttpRequest.newBuilder(TestNodes.uri(node, path))
        .header("content-type", "application/json")
        .header("x-api-key", KEY)
        .POST(HttpRequest.BodyPublishers.ofString(body));
    boolean version = false;
    for (int i = 0; i < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
      version |= headers[i].equals("anthropic-version");
    }
    if (!version) {
      builder.header("anthropic-version", "2023-06-01");
    }
    return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
  }
}
