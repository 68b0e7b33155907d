package dev.spillway.sdk;

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
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolChoiceAny;
import com.anthropic.models.messages.ToolChoiceAuto;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeAnthropic;
import dev.spillway.testsupport.FakeAnthropic.Reply;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The official Anthropic Java SDK ({@code com.anthropic:anthropic-java}), unchanged but for its base URL and a
 * Spillway virtual key, through a node to every provider type: the conformance matrix (a message, a stream the SDK
 * parses and accumulates, a tool call and the turn that answers it, streamed tool use, provider errors as the SDK's
 * exceptions) runs once per {@link ProviderType}, against the type's fake server ({@link ProviderFleet}) or the
 * built-in mock; an {@code anthropic} provider is served natively, every other type through translation. The other
 * tests cover the rest: the native request as the SDK would send it directly, bearer keys, token counting, the
 * gateway's own errors and a stream that fails midway.
 */
@ExtendWith(NoLeaksExtension.class)
class AnthropicSdkIT {
  static final String KEY = "sk-sw-anthropicsdk00000000000000000000000000000";
  static final String TOOL = "get_weather";
  static final String TOOL_ARGUMENTS = "{\"city\":\"Paris\"}";
  static final String TOOL_RESULT = "{\"temperature_c\":21,\"sky\":\"clear\"}";
  static final Tool WEATHER = Tool.builder().name(TOOL).description("Current weather in a city")
      .inputSchema(Tool.InputSchema.builder()
          .properties(JsonValue.from(Map.of("city", Map.of("type", "string"))))
          .required(List.of("city")).build())
      .build();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  static ProviderFleet fleet;
  static FakeAnthropic anthropic;
  static FakeProvider compatible;
  static AnthropicClient client;

  @BeforeAll
  static void start() {
    fleet = ProviderFleet.start(KEY, snapshot -> snapshot);
    anthropic = fleet.anthropic;
    compatible = fleet.compatible;
    client = client(KEY, false);
  }

  @AfterAll
  static void stop() {
    client.close();
    fleet.close();
  }

  @BeforeEach
  void reset() {
    fleet.reset();
  }

  static AnthropicClient client(String key, boolean bearer) {
    AnthropicOkHttpClient.Builder builder = AnthropicOkHttpClient.builder()
        .baseUrl(fleet.node.baseUrl())
        .maxRetries(0)
        .timeout(Duration.ofSeconds(10));
    return bearer ? builder.authToken(key).build() : builder.apiKey(key).build();
  }

  static MessageCreateParams hello(String model) {
    return MessageCreateParams.builder().model(model).maxTokens(256).system("Be brief.").addUserMessage("hi").build();
  }

  static MessageCreateParams askForWeather(String model) {
    return MessageCreateParams.builder().model(model).maxTokens(256).addUserMessage("Weather in Paris?")
        .addTool(WEATHER).toolChoice(ToolChoiceAny.builder().build()).build();
  }

  static String text(Message message) {
    StringBuilder text = new StringBuilder();
    message.content().stream().filter(ContentBlock::isText).forEach(b -> text.append(b.asText().text()));
    return text.toString();
  }

  static Message accumulate(MessageCreateParams params, List<String> kinds) {
    MessageAccumulator accumulator = MessageAccumulator.create();
    try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(params)) {
      stream.stream().forEach(event -> {
        accumulator.accumulate(event);
        kinds.add(kind(event));
      });
    }
    return accumulator.message();
  }

  static ToolUseBlock onlyToolUse(Message message) {
    List<ToolUseBlock> uses = message.content().stream().filter(ContentBlock::isToolUse)
        .map(ContentBlock::asToolUse).toList();
    assertThat(uses).hasSize(1);
    return uses.get(0);
  }

  static String arguments(ToolUseBlock toolUse) {
    return JSON.writeValueAsString(toolUse._input().convert(Map.class));
  }

  // ------------------------------------------------------------------ the matrix: one run per provider type

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.spillway.sdk.ProviderFleet#providerTypes")
  void createsAMessage(ProviderType type) {
    ProviderFleet.Target target = fleet.target(type);

    Message message = client.messages().create(hello(target.route()));

    assertThat(text(message)).isEqualTo(target.echo("hi"));
    assertThat(message.id()).startsWith("msg_");
    assertThat(message.stopReason()).contains(StopReason.END_TURN);
    target.usage().assertSeen(message.usage().inputTokens(), message.usage().outputTokens());
    target.assertReached(false);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.spillway.sdk.ProviderFleet#providerTypes")
  void streamsAMessageWithAnthropicsEventTypes(ProviderType type) {
    ProviderFleet.Target target = fleet.target(type);
    String expected = target.scriptStream("hi");

    List<String> kinds = new ArrayList<>();
    Message message = accumulate(hello(target.route()), kinds);

    assertThat(text(message)).isEqualTo(expected);
    assertThat(kinds).first().isEqualTo("message_start");
    assertThat(kinds).last().isEqualTo("message_stop");
    assertThat(kinds).contains("content_block_start", "content_block_delta", "content_block_stop", "message_delta");
    assertThat(message.stopReason()).contains(StopReason.END_TURN);
    // Every provider type reports stream usage (openai-compatible servers are asked for it, as OpenAI is).
    target.streamUsage(false).orElseThrow().assertSeen(message.usage().inputTokens(), message.usage().outputTokens());
    target.assertReached(true);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.spillway.sdk.ProviderFleet#providerTypes")
  void callsAToolAndSendsItsResultBack(ProviderType type) {
    ProviderFleet.Target target = fleet.target(type);
    target.scriptToolCall("toolu_weather_1", TOOL, TOOL_ARGUMENTS, false);
    MessageCreateParams ask = askForWeather(target.route());

    Message message = client.messages().create(ask);

    assertThat(message.stopReason()).contains(StopReason.TOOL_USE);
    ToolUseBlock toolUse = onlyToolUse(message);
    assertThat(toolUse.name()).isEqualTo(TOOL);
    assertThat(JSON.readTree(arguments(toolUse))).isEqualTo(JSON.readTree(target.expectedArguments(TOOL_ARGUMENTS)));
    if (target.keepsToolCallId()) {
      assertThat(toolUse.id()).isEqualTo("toolu_weather_1");
    } else {
      assertThat(toolUse.id()).matches("[A-Za-z0-9_-]+");
    }
    target.assertReached(false);

    Message answer = client.messages().create(ask.toBuilder()
        .toolChoice(ToolChoiceAuto.builder().build())
        .addMessage(message)
        .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(
            ToolResultBlockParam.builder().toolUseId(toolUse.id()).content(TOOL_RESULT).build())))
        .build());

    assertThat(answer.stopReason()).contains(StopReason.END_TURN);
    assertThat(answer.content()).noneMatch(ContentBlock::isToolUse);
    target.assertReceivedToolResult(new ProviderFleet.ToolTurn(toolUse.id(), TOOL, arguments(toolUse),
        TOOL_RESULT), text(answer));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.spillway.sdk.ProviderFleet#providerTypes")
  void streamsAToolCall(ProviderType type) {
    ProviderFleet.Target target = fleet.target(type);
    target.scriptToolCall("toolu_weather_2", TOOL, TOOL_ARGUMENTS, true);

    List<String> kinds = new ArrayList<>();
    Message message = accumulate(askForWeather(target.route()), kinds);

    assertThat(message.stopReason()).contains(StopReason.TOOL_USE);
    ToolUseBlock toolUse = onlyToolUse(message);
    assertThat(toolUse.name()).isEqualTo(TOOL);
    assertThat(JSON.readTree(arguments(toolUse))).isEqualTo(JSON.readTree(target.expectedArguments(TOOL_ARGUMENTS)));
    if (target.keepsToolCallId()) {
      assertThat(toolUse.id()).isEqualTo("toolu_weather_2");
    } else {
      assertThat(toolUse.id()).isNotBlank();
    }
    assertThat(kinds).last().isEqualTo("message_stop");
    target.assertReached(true);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.spillway.sdk.ProviderFleet#providerTypes")
  void raisesTheSdksExceptionsForErrors(ProviderType type) {
    ProviderFleet.Target target = fleet.target(type);
    Optional<String> badRequest = target.scriptBadRequest(type.wireName() + " says: max_tokens is too large");

    if (badRequest.isPresent()) {
      assertThatThrownBy(() -> client.messages().create(hello(target.route())))
          .isInstanceOfSatisfying(BadRequestException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(400);
            assertThat(e.apiMessage()).hasValueSatisfying(m -> assertThat(m).contains(badRequest.get()));
          });
      assertThat(target.scriptRateLimit(type.wireName() + " says: slow down")).isTrue();
      assertThatThrownBy(() -> client.messages().create(hello(target.route())))
          .isInstanceOfSatisfying(RateLimitException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(429);
            assertThat(e.apiMessage()).hasValueSatisfying(m -> assertThat(m).contains(type.wireName()
                + " says: slow down"));
          });
    } else {
      // The mock cannot fail: a request the node refuses before it reaches the mock stands in.
      assertThat(target.scriptRateLimit("unused")).isFalse();
      assertThatThrownBy(() -> client.messages().create(MessageCreateParams.builder().model(target.route())
          .maxTokens(0).addUserMessage("hi").build()))
          .isInstanceOfSatisfying(BadRequestException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(400);
            assertThat(e.apiMessage()).hasValueSatisfying(m -> assertThat(m).contains("max_tokens"));
          });
    }
  }

  // ------------------------------------------------------------------ the rest

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

    client.messages().create(hello("anthropic"));

    var sentThroughSpillway = anthropic.lastRequest();
    assertThat(sentThroughSpillway.json()).isEqualTo(sentDirectly.json());
    assertThat(sentThroughSpillway.header("anthropic-version")).isNotBlank()
        .isEqualTo(sentDirectly.header("anthropic-version"));
    assertThat(sentThroughSpillway.header("anthropic-beta")).isEqualTo(sentDirectly.header("anthropic-beta"));
    assertThat(sentThroughSpillway.header("x-api-key")).isEqualTo("sk-ant-upstream-000000");
    assertThat(sentThroughSpillway.uri()).isEqualTo(sentDirectly.uri());
  }

  @Test
  void acceptsTheVirtualKeyAsABearerToken() {
    AnthropicClient bearer = client(KEY, true);
    try {
      assertThat(text(bearer.messages().create(hello("mock")))).startsWith("Hello from Spillway's mock provider");
    } finally {
      bearer.close();
    }
  }

  @Test
  void countsTokensNativelyOrByEstimate() {
    anthropic.enqueue(Reply.countTokens(2095));

    long native_ = client.messages().countTokens(MessageCountTokensParams.builder().model("anthropic")
        .addUserMessage("Hello, world").build()).inputTokens();
    long estimated = client.messages().countTokens(MessageCountTokensParams.builder().model("openai-compatible")
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
      assertThatThrownBy(() -> stranger.messages().create(hello("mock")))
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
    assertThatThrownBy(() -> client.messages().create(hello("anthropic")))
        .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.apiMessage())
            .hasValueSatisfying(m -> assertThat(m).contains("max_tokens: too large")));
    assertThatThrownBy(() -> client.messages().create(hello("anthropic")))
        .isInstanceOf(RateLimitException.class);
    // The 429 cooled the provider's only key down: without this, the node would answer the next 429 itself.
    fleet.node.forgetTargetHealth();
    assertThatThrownBy(() -> client.messages().create(hello("anthropic")))
        .isInstanceOfSatisfying(AnthropicServiceException.class, e -> {
          assertThat(e.statusCode()).isEqualTo(502);
          assertThat(e.apiMessage()).hasValueSatisfying(m -> assertThat(m).contains("Overloaded"));
        });
  }

  @Test
  void raisesAnSseExceptionWhenTheStreamEndsWithAnErrorEvent() {
    compatible.enqueue(FakeResponse.stream().chunkCount(5).dropAfter(2));

    List<String> kinds = new ArrayList<>();
    assertThatThrownBy(() -> {
      try (StreamResponse<RawMessageStreamEvent> stream =
          client.messages().createStreaming(hello("openai-compatible"))) {
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
