package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.NotFoundException;
import com.anthropic.errors.RateLimitException;
import com.anthropic.errors.SseException;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolChoiceAny;
import com.anthropic.models.messages.ToolUseBlock;
import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeAnthropic;
import dev.spillway.testsupport.FakeAnthropic.Reply;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The official Anthropic Java SDK ({@code com.anthropic:anthropic-java}) against a node, unchanged but for its base
 * URL and a Spillway virtual key: messages, streaming (the SDK's own event parsing and accumulator), tools, token
 * counting and errors, with the route pointing at an {@code anthropic} provider (native), an OpenAI-compatible
 * provider and the built-in mock (both translated).
 */
@ExtendWith(NoLeaksExtension.class)
class AnthropicSdkIT {
  static final String KEY = "sk-sw-anthropicsdk00000000000000000000000000000";

  static FakeAnthropic anthropic;
  static FakeProvider openAi;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;
  static AnthropicClient client;

  @BeforeAll
  static void start() throws Exception {
    anthropic = FakeAnthropic.start();
    openAi = FakeProvider.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("claude", ProviderType.ANTHROPIC, anthropic.baseUrl(), "sk-ant-sdk-upstream-0000")
        .provider("oai", ProviderType.OPENAI_COMPATIBLE, openAi.baseUrl(), "sk-oai-sdk-upstream-000")
        .provider("mock", ProviderType.MOCK, null)
        .route("sonnet", "claude/claude-sonnet-4-5")
        .route("gpt", "oai/gpt-4o-mini")
        .route("demo", "mock/mock-1")
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("anthropic-sdk-it"), Map.of());
    TestNodes.awaitVersion(node, 1);
    client = client(KEY, false);
  }

  @AfterAll
  static void stop() {
    client.close();
    node.close();
    controlPlane.close();
    anthropic.close();
    openAi.close();
  }

  @BeforeEach
  void reset() {
    anthropic.reset();
    openAi.reset();
  }

  static AnthropicClient client(String key, boolean bearer) {
    AnthropicOkHttpClient.Builder builder = AnthropicOkHttpClient.builder()
        .baseUrl("http://127.0.0.1:" + node.port())
        .maxRetries(0)
        .timeout(Duration.ofSeconds(10));
    return bearer ? builder.authToken(key).build() : builder.apiKey(key).build();
  }

  static MessageCreateParams hello(String model) {
    return MessageCreateParams.builder().model(model).maxTokens(256).system("Be brief.").addUserMessage("hi").build();
  }

  static String text(Message message) {
    StringBuilder text = new StringBuilder();
    message.content().stream().filter(ContentBlock::isText).forEach(b -> text.append(b.asText().text()));
    return text.toString();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"sonnet, Echo: hi", "gpt, Echo: hi", "demo, Hello from Spillway's mock provider. You said: hi"})
  void createsAMessage(String model, String expected) {
    Message message = client.messages().create(hello(model));

    assertThat(text(message)).isEqualTo(expected);
    assertThat(message.id()).startsWith("msg_");
    assertThat(message.stopReason()).contains(StopReason.END_TURN);
    assertThat(message.usage().inputTokens()).isPositive();
    assertThat(message.usage().outputTokens()).isPositive();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"sonnet, Echo: hi", "gpt, Hello from the fake provider", "demo, Hello from Spillway's mock provider. You said: hi"})
  void streamsAMessageWithAnthropicsEventTypes(String model, String expected) {
    if (model.equals("gpt")) {
      openAi.enqueue(FakeResponse.stream());
    }
    MessageAccumulator accumulator = MessageAccumulator.create();
    List<String> kinds = new ArrayList<>();
    try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(hello(model))) {
      stream.stream().forEach(event -> {
        accumulator.accumulate(event);
        kinds.add(kind(event));
      });
    }

    Message message = accumulator.message();
    assertThat(text(message)).isEqualTo(expected);
    assertThat(kinds).first().isEqualTo("message_start");
    assertThat(kinds).last().isEqualTo("message_stop");
    assertThat(kinds).contains("content_block_start", "content_block_delta", "content_block_stop", "message_delta");
    assertThat(message.stopReason()).contains(StopReason.END_TURN);
  }

  @ParameterizedTest(name = "{0}, stream={1}")
  @CsvSource({"sonnet, false", "sonnet, true", "gpt, false", "gpt, true"})
  void callsToolsThroughTheProvider(String model, boolean stream) {
    if (model.equals("sonnet")) {
      anthropic.enqueue(Reply.toolUse("toolu_sdk", "get_weather", "{\"city\":\"Paris\"}"));
    } else {
      FakeResponse.ToolCall call = FakeResponse.toolCall("toolu_sdk", "get_weather", "{\"city\":\"Paris\"}");
      openAi.enqueue(stream ? FakeResponse.stream().toolCalls(call) : FakeResponse.chat().toolCalls(call));
    }
    MessageCreateParams params = MessageCreateParams.builder().model(model).maxTokens(256)
        .addUserMessage("Weather in Paris?")
        .addTool(Tool.builder().name("get_weather").description("Current weather")
            .inputSchema(Tool.InputSchema.builder()
                .properties(JsonValue.from(Map.of("city", Map.of("type", "string"))))
                .required(List.of("city")).build())
            .build())
        .toolChoice(ToolChoiceAny.builder().build())
        .build();

    Message message;
    if (stream) {
      MessageAccumulator accumulator = MessageAccumulator.create();
      try (StreamResponse<RawMessageStreamEvent> events = client.messages().createStreaming(params)) {
        events.stream().forEach(accumulator::accumulate);
      }
      message = accumulator.message();
    } else {
      message = client.messages().create(params);
    }

    assertThat(message.stopReason()).contains(StopReason.TOOL_USE);
    ToolUseBlock toolUse = message.content().stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow()
        .asToolUse();
    assertThat(toolUse.id()).isEqualTo("toolu_sdk");
    assertThat(toolUse.name()).isEqualTo("get_weather");
    assertThat(toolUse._input().convert(Map.class)).isEqualTo(Map.of("city", "Paris"));
  }

  @Test
  void deliversTheSdksRequestToAnAnthropicProviderAsTheSdkWouldSendItDirectly() {
    AnthropicClient direct = AnthropicOkHttpClient.builder().baseUrl(anthropic.baseUrl()).apiKey("sk-ant-direct")
        .maxRetries(0).build();
    try {
      direct.messages().create(hello("claude-sonnet-4-5"));
    } finally {
      direct.close();
    }
    var sentDirectly = anthropic.lastRequest();

    client.messages().create(hello("sonnet"));

    var sentThroughSpillway = anthropic.lastRequest();
    assertThat(sentThroughSpillway.json()).isEqualTo(sentDirectly.json());
    assertThat(sentThroughSpillway.header("anthropic-version")).isNotBlank()
        .isEqualTo(sentDirectly.header("anthropic-version"));
    assertThat(sentThroughSpillway.header("anthropic-beta")).isEqualTo(sentDirectly.header("anthropic-beta"));
    assertThat(sentThroughSpillway.header("x-api-key")).isEqualTo("sk-ant-sdk-upstream-0000");
    assertThat(sentThroughSpillway.uri()).isEqualTo(sentDirectly.uri());
  }

  @Test
  void acceptsTheVirtualKeyAsABearerToken() {
    AnthropicClient bearer = client(KEY, true);
    try {
      assertThat(text(bearer.messages().create(hello("demo")))).startsWith("Hello from Spillway's mock provider");
    } finally {
      bearer.close();
    }
  }

  @Test
  void countsTokensNativelyOrByEstimate() {
    anthropic.enqueue(Reply.countTokens(2095));

    long native_ = client.messages().countTokens(MessageCountTokensParams.builder().model("sonnet")
        .addUserMessage("Hello, world").build()).inputTokens();
    long estimated = client.messages().countTokens(MessageCountTokensParams.builder().model("gpt")
        .system("You are helpful.").addUserMessage("Hello, world").build()).inputTokens();

    assertThat(native_).isEqualTo(2095);
    assertThat(estimated).isBetween(10L, 30L);
  }

  @Test
  void raisesTheSdksExceptionForEachErrorStatus() {
    anthropic.enqueue(Reply.error(400, "invalid_request_error", "max_tokens: too large"),
        Reply.error(429, "rate_limit_error", "Rate limited"),
        Reply.error(529, "overloaded_error", "Overloaded"));

    AnthropicClient stranger = client("sk-sw-nobody0000000000000000000000000000000000", false);
    try {
      assertThatThrownBy(() -> stranger.messages().create(hello("demo")))
          .isInstanceOfSatisfying(UnauthorizedException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(401);
            assertThat(e.apiMessage()).hasValueSatisfying(m -> assertThat(m).contains("invalid virtual key"));
            assertThat(e.requestId()).isPresent();
          });
    } finally {
      stranger.close();
    }
    assertThatThrownBy(() -> client.messages().create(hello("no-such-route")))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> client.messages().create(hello("sonnet")))
        .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.apiMessage())
            .hasValueSatisfying(m -> assertThat(m).contains("max_tokens: too large")));
    assertThatThrownBy(() -> client.messages().create(hello("sonnet")))
        .isInstanceOf(RateLimitException.class);
    assertThatThrownBy(() -> client.messages().create(hello("sonnet")))
        .isInstanceOfSatisfying(AnthropicServiceException.class, e -> {
          assertThat(e.statusCode()).isEqualTo(502);
          assertThat(e.apiMessage()).hasValueSatisfying(m -> assertThat(m).contains("Overloaded"));
        });
  }

  @Test
  void raisesAnSseExceptionWhenTheStreamEndsWithAnErrorEvent() {
    openAi.enqueue(FakeResponse.stream().chunkCount(5).dropAfter(2));

    List<String> kinds = new ArrayList<>();
    assertThatThrownBy(() -> {
      try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(hello("gpt"))) {
        stream.stream().forEach(event -> kinds.add(kind(event)));
      }
    }).isInstanceOf(SseException.class);
    assertThat(kinds).startsWith("message_start", "content_block_start", "content_block_delta");
  }

  private static String kind(RawMessageStreamEvent event) {
    if (event.isMessageStart()) {
      return "message_start";
    }
    if (event.isContentBlockStart()) {
      return "content_block_start";
    }
    if (event.isContentBlockDelta()) {
      return "content_block_delta";
    }
    if (event.isContentBlockStop()) {
      return "content_block_stop";
    }
    if (event.isMessageDelta()) {
      return "message_delta";
    }
    return event.isMessageStop() ? "message_stop" : "other";
  }
}
