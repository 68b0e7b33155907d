package dev.spillway.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseStreamEvent;
import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
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
 * The official OpenAI Java SDK, unchanged but for its base URL and key, through a node to every provider type: the
 * conformance matrix (a chat completion, a stream the SDK assembles, a tool call and the turn that answers it,
 * streamed tool calls, provider errors as the SDK's exceptions) runs once per {@link ProviderType}, against the
 * type's fake server ({@link ProviderFleet}) or the built-in mock. The other tests cover the rest of OpenAI's API
 * surface: parallel tool calls, embeddings, the Responses API (native on {@code openai}, translated elsewhere),
 * legacy completions and the gateway's own errors.
 */
@ExtendWith(NoLeaksExtension.class)
class OpenAiSdkIT {
  static final String KEY = "sk-sw-sdkopenai000000000000000000000000000000";
  static final String LIMITED_KEY = "sk-sw-sdklimited0000000000000000000000000000";
  static final String SPENT_KEY = "sk-sw-sdkspent000000000000000000000000000000";
  static final String CACHED_KEY = "sk-sw-sdkcached00000000000000000000000000000";
  static final String TOOL = "get_weather";
  static final String TOOL_ARGUMENTS = "{\"city\":\"Paris\"}";
  static final String TOOL_RESULT = "{\"temperature_c\":21,\"sky\":\"clear\"}";
  static final FunctionDefinition WEATHER = FunctionDefinition.builder().name(TOOL)
      .description("Current weather in a city")
      .parameters(FunctionParameters.builder()
          .putAdditionalProperty("type", JsonValue.from("object"))
          .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
          .putAdditionalProperty("required", JsonValue.from(List.of("city")))
          .build())
      .build();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  static ProviderFleet fleet;
  static FakeProvider provider;
  static FakeProvider compatibleProvider;
  static OpenAIClient client;

  @BeforeAll
  static void start() {
    fleet = ProviderFleet.start(KEY, snapshot -> snapshot
        .key("t1", LIMITED_KEY, "mock")
        .team("t-cache", new dev.spillway.config.CacheConfig(dev.spillway.config.CacheMode.EXACT, null, 3600))
        .key("t-cache", CACHED_KEY)
        .key("t1", SPENT_KEY, new dev.spillway.config.BudgetConfig(java.math.BigDecimal.ZERO,
            dev.spillway.config.BudgetPeriod.TOTAL), null)
        .price("openai", "gpt-4o", "2.5", "10", null)
        .route("openai-with-fallback", List.of("openai/gpt-4o"), List.of("compatible/llama-3.3-70b"),
            dev.spillway.config.RetryConfig.NONE)
        .route("embed", "openai/text-embedding-3-small")
        .route("local-embed", "compatible/nomic-embed"));
    provider = fleet.openAi;
    compatibleProvider = fleet.compatible;
    client = client(KEY);
  }

  static OpenAIClient client(String key) {
    return OpenAIOkHttpClient.builder().baseUrl(fleet.node.openAiBaseUrl()).apiKey(key).maxRetries(0).build();
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

  private static ChatCompletionCreateParams chat(String model, String text) {
    return ChatCompletionCreateParams.builder().model(model).addUserMessage(text).build();
  }

  private static ChatCompletionCreateParams askForWeather(String model) {
    return ChatCompletionCreateParams.builder().model(model).addUserMessage("Weather in Paris?")
        .addFunctionTool(WEATHER).toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build();
  }

  private static ChatCompletion accumulate(ChatCompletionCreateParams params, List<CompletionUsage> usages) {
    return accumulate(client, params, usages);
  }

  private static ChatCompletion accumulate(OpenAIClient client, ChatCompletionCreateParams params,
      List<CompletionUsage> usages) {
    ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
      stream.stream().forEach(chunk -> {
        accumulator.accumulate(chunk);
        chunk.usage().ifPresent(usages::add);
      });
    }
    return accumulator.chatCompletion();
  }

  // ------------------------------------------------------------------ the matrix: one run per provider type

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.spillway.sdk.ProviderFleet#providerTypes")
  void createsAChatCompletion(ProviderType type) {
    ProviderFleet.Target target = fleet.target(type);

    ChatCompletion completion = client.chat().completions().create(chat(target.route(), "hi"));

    ChatCompletion.Choice choice = completion.choices().get(0);
    assertThat(choice.message().content()).contains(target.echo("hi"));
    assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    CompletionUsage usage = completion.usage().orElseThrow();
    target.usage().assertSeen(usage.promptTokens(), usage.completionTokens());
    assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());
    target.assertReached(false);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.spillway.sdk.ProviderFleet#providerTypes")
  void streamsAChatCompletionWithUsage(ProviderType type) {
    ProviderFleet.Target target = fleet.target(type);
    String expected = target.scriptStream("hi");
    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model(target.route())
        .addUserMessage("hi").streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
        .build();

    List<CompletionUsage> usages = new ArrayList<>();
    ChatCompletion completion = accumulate(params, usages);

    assertThat(completion.choices()).hasSize(1);
    assertThat(completion.choices().get(0).message().content()).contains(expected);
    assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    ProviderFleet.Tokens tokens = target.streamUsage(true).orElseThrow();
    assertThat(usages).as("usage chunks").hasSize(1);
    tokens.assertSeen(usages.get(0).promptTokens(), usages.get(0).completionTokens());
    target.assertReached(true);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.spillway.sdk.ProviderFleet#providerTypes")
  void callsAToolAndSendsItsResultBack(ProviderType type) {
    ProviderFleet.Target target = fleet.target(type);
    target.scriptToolCall("call_weather_1", TOOL, TOOL_ARGUMENTS, false);
    ChatCompletionCreateParams ask = askForWeather(target.route());

    ChatCompletion completion = client.chat().completions().create(ask);

    ChatCompletion.Choice choice = completion.choices().get(0);
    assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
    List<ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElseThrow();
    assertThat(calls).hasSize(1);
    ChatCompletionMessageFunctionToolCall call = calls.get(0).asFunction();
    assertThat(call.function().name()).isEqualTo(TOOL);
    assertThat(JSON.readTree(call.function().arguments()))
        .isEqualTo(JSON.readTree(target.expectedArguments(TOOL_ARGUMENTS)));
    if (target.keepsToolCallId()) {
      assertThat(call.id()).isEqualTo("call_weather_1");
    } else {
      assertThat(call.id()).matches("[A-Za-z0-9_-]+");
    }
    target.assertReached(false);

    ChatCompletion answer = client.chat().completions().create(ask.toBuilder()
        .toolChoice(ChatCompletionToolChoiceOption.Auto.AUTO)
        .addMessage(choice.message())
        .addMessage(ChatCompletionToolMessageParam.builder().toolCallId(call.id()).content(TOOL_RESULT).build())
        .build());

    assertThat(answer.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
    assertThat(answer.choices().get(0).message().toolCalls().orElse(List.of())).isEmpty();
    target.assertReceivedToolResult(new ProviderFleet.ToolTurn(call.id(), TOOL, call.function().arguments(),
        TOOL_RESULT), answer.choices().get(0).message().content().orElseThrow());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.spillway.sdk.ProviderFleet#providerTypes")
  void streamsAToolCall(ProviderType type) {
    ProviderFleet.Target target = fleet.target(type);
    target.scriptToolCall("call_weather_2", TOOL, TOOL_ARGUMENTS, true);

    List<CompletionUsage> usages = new ArrayList<>();
    ChatCompletion completion = accumulate(askForWeather(target.route()), usages);

    ChatCompletion.Choice choice = completion.choices().get(0);
    assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
    List<ChatCompletionMessageToolCall> calls = choice.message().toolCalls().orElseThrow();
    assertThat(calls).hasSize(1);
    ChatCompletionMessageFunctionToolCall call = calls.get(0).asFunction();
    assertThat(call.function().name()).isEqualTo(TOOL);
    assertThat(JSON.readTree(call.function().arguments()))
        .isEqualTo(JSON.readTree(target.expectedArguments(TOOL_ARGUMENTS)));
    if (target.keepsToolCallId()) {
      assertThat(call.id()).isEqualTo("call_weather_2");
    } else {
      assertThat(call.id()).isNotBlank();
    }
    assertThat(usages).as("usage chunks the client did not ask for").isEmpty();
    target.assertReached(true);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.spillway.sdk.ProviderFleet#providerTypes")
  void raisesTheSdksExceptionsForErrors(ProviderType type) {
    ProviderFleet.Target target = fleet.target(type);
    Optional<String> badRequest = target.scriptBadRequest(type.wireName() + " says: max_tokens is too large");

    if (badRequest.isPresent()) {
      assertThatThrownBy(() -> client.chat().completions().create(chat(target.route(), "hi")))
          .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.statusCode()).isEqualTo(400))
          .hasMessageContaining(badRequest.get());
      assertThat(target.scriptRateLimit(type.wireName() + " says: slow down")).isTrue();
      assertThatThrownBy(() -> client.chat().completions().create(chat(target.route(), "hi")))
          .isInstanceOfSatisfying(RateLimitException.class, e -> assertThat(e.statusCode()).isEqualTo(429))
          .hasMessageContaining(type.wireName() + " says: slow down");
    } else {
      // The mock cannot fail: a request the node refuses before it reaches the mock stands in.
      assertThat(target.scriptRateLimit("unused")).isFalse();
      assertThatThrownBy(() -> client.chat().completions().create(ChatCompletionCreateParams.builder()
          .model(target.route()).messages(List.of()).build()))
          .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.statusCode()).isEqualTo(400))
          .hasMessageContaining("messages: must be a non-empty array");
    }
  }

  // ------------------------------------------------------------------ the rest of OpenAI's API surface

  @Test
  void aCachedStreamIsTheSameStreamToTheSdk() {
    provider.respondWith(FakeResponse.stream().chunks(List.of("Cached", " answers", " stream", " too.")));
    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("openai")
        .addUserMessage("Do cached answers stream?")
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
    OpenAIClient cached = client(CACHED_KEY);
    try {
      List<CompletionUsage> firstUsage = new java.util.ArrayList<>();
      ChatCompletion first = accumulate(cached, params, firstUsage);
      await().atMost(java.time.Duration.ofSeconds(5)).until(() -> fleet.node.cacheWrites() >= 1);
      List<CompletionUsage> replayedUsage = new java.util.ArrayList<>();
      ChatCompletion replayed = accumulate(cached, params, replayedUsage);

      assertThat(replayed.choices().get(0).message().content()).hasValue("Cached answers stream too.")
          .isEqualTo(first.choices().get(0).message().content());
      assertThat(replayed.choices().get(0).finishReason()).isEqualTo(first.choices().get(0).finishReason());
      assertThat(replayed.model()).isEqualTo(first.model());
      assertThat(replayedUsage).singleElement().satisfies(u ->
          assertThat(u.completionTokens()).isEqualTo(firstUsage.get(0).completionTokens()));
      assertThat(provider.requestCount()).as("the second stream came from the cache").isEqualTo(1);
    } finally {
      cached.close();
    }
  }

  @Test
  void callsToolsInParallelAndStreamsThem() {
    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("openai")
        .addUserMessage("weather in Oslo and Rome?")
        .addFunctionTool(FunctionDefinition.builder().name("weather")
            .parameters(FunctionParameters.builder().putAdditionalProperty("type", JsonValue.from("object")).build())
            .build())
        .build();
    FakeResponse.ToolCall oslo = FakeResponse.toolCall("call_1", "weather", "{\"city\":\"Oslo\"}");
    FakeResponse.ToolCall rome = FakeResponse.toolCall("call_2", "weather", "{\"city\":\"Rome\"}");
    provider.enqueue(FakeResponse.chat().toolCalls(oslo, rome), FakeResponse.stream().toolCalls(oslo, rome));

    ChatCompletion completion = client.chat().completions().create(params);
    StringBuilder[] streamed = {new StringBuilder(), new StringBuilder()};
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
      stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().toolCalls().ifPresent(calls ->
          calls.forEach(call -> call.function().flatMap(f -> f.arguments())
              .ifPresent(streamed[(int) call.index()]::append)))));
    }

    List<ChatCompletionMessageFunctionToolCall> calls = completion.choices().get(0).message().toolCalls()
        .orElseThrow().stream().map(c -> c.asFunction()).toList();
    assertThat(calls).extracting(c -> c.function().arguments())
        .containsExactly("{\"city\":\"Oslo\"}", "{\"city\":\"Rome\"}");
    assertThat(calls.get(1).id()).isEqualTo("call_2");
    assertThat(provider.requests().get(0).json().path("tools").get(0).path("function").path("name").asString())
        .isEqualTo("weather");
    assertThat(streamed[0].toString()).isEqualTo("{\"city\":\"Oslo\"}");
    assertThat(streamed[1].toString()).isEqualTo("{\"city\":\"Rome\"}");
  }

  @Test
  void createsEmbeddingsWithTheSdksDefaultBase64Encoding() {
    CreateEmbeddingResponse openAi = client.embeddings().create(EmbeddingCreateParams.builder().model("embed")
        .input("hello").dimensions(4).build());
    String sentFormat = provider.lastRequest().json().path("encoding_format").asString("float");
    CreateEmbeddingResponse compatible = client.embeddings().create(EmbeddingCreateParams.builder()
        .model("local-embed").input("hello").build());
    CreateEmbeddingResponse mock = client.embeddings().create(EmbeddingCreateParams.builder().model("mock")
        .input("hello").build());

    assertThat(sentFormat).isEqualTo("base64");
    assertThat(openAi.data().get(0).embedding()).containsExactly(boxed(FakeProvider.embedding(0, 4)));
    assertThat(compatible.data().get(0).embedding()).containsExactly(boxed(FakeProvider.embedding(0, 8)));
    assertThat(openAi.usage().promptTokens()).isEqualTo(12);
    List<Float> unit = mock.data().get(0).embedding();
    assertThat(unit).hasSize(384);
    assertThat(unit.stream().mapToDouble(v -> v * v).sum()).isCloseTo(1.0, within(1e-4));
  }

  @Test
  void createsResponsesNativelyAndThroughTranslation() {
    Response openAi = client.responses().create(ResponseCreateParams.builder().model("openai").input("hi").build());
    String nativeUri = provider.lastRequest().uri();
    Response compatible = client.responses().create(ResponseCreateParams.builder().model("openai-compatible")
        .instructions("Be brief.").input("hi").maxOutputTokens(20).build());
    Response mock = client.responses().create(ResponseCreateParams.builder().model("mock").input("ping").build());

    assertThat(nativeUri).isEqualTo("/v1/responses");
    assertThat(outputText(openAi)).isEqualTo("Echo: hi");
    assertThat(compatibleProvider.lastRequest().uri()).isEqualTo("/v1/chat/completions");
    assertThat(outputText(compatible)).isEqualTo("Echo: hi");
    assertThat(compatible.id()).startsWith("resp_");
    assertThat(compatible.usage().orElseThrow().inputTokens()).isEqualTo(12);
    assertThat(compatible.maxOutputTokens()).contains(20L);
    assertThat(outputText(mock)).isEqualTo("Hello from Spillway's mock provider. You said: ping");
  }

  @Test
  void streamsResponsesAndReturnsFunctionCalls() {
    compatibleProvider.enqueue(FakeResponse.stream(), FakeResponse.chat().toolCalls(
        FakeResponse.toolCall("call_9", "lookup", "{\"q\":\"x\"}")));

    StringBuilder text = new StringBuilder();
    List<Long> sequence = new ArrayList<>();
    List<Response> completed = new ArrayList<>();
    try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
        ResponseCreateParams.builder().model("openai-compatible").input("hi").build())) {
      stream.stream().forEach(event -> {
        event.created().ifPresent(c -> sequence.add(c.sequenceNumber()));
        event.outputTextDelta().ifPresent(d -> {
          text.append(d.delta());
          sequence.add(d.sequenceNumber());
        });
        event.completed().ifPresent(c -> {
          completed.add(c.response());
          sequence.add(c.sequenceNumber());
        });
      });
    }
    Response withTool = client.responses().create(ResponseCreateParams.builder().model("openai-compatible")
        .input("look up x")
        .addTool(FunctionTool.builder().name("lookup").strict(false)
            .parameters(FunctionTool.Parameters.builder().putAdditionalProperty("type", JsonValue.from("object"))
                .build()).build())
        .build());

    assertThat(text.toString()).isEqualTo("Hello from the fake provider");
    assertThat(completed).hasSize(1);
    assertThat(outputText(completed.get(0))).isEqualTo("Hello from the fake provider");
    assertThat(sequence.get(0)).isZero();
    assertThat(sequence).isSorted().doesNotHaveDuplicates().hasSize(7);
    ResponseFunctionToolCall call = withTool.output().get(0).functionCall().orElseThrow();
    assertThat(call.callId()).isEqualTo("call_9");
    assertThat(call.name()).isEqualTo("lookup");
    assertThat(call.arguments()).isEqualTo("{\"q\":\"x\"}");
    assertThat(compatibleProvider.lastRequest().json().path("tools").get(0).path("function").path("name").asString())
        .isEqualTo("lookup");
  }

  @Test
  void createsLegacyCompletions() {
    Completion openAi = client.completions().create(CompletionCreateParams.builder().model("openai")
        .prompt("Say hi").build());
    String uri = provider.lastRequest().uri();
    Completion mock = client.completions().create(CompletionCreateParams.builder().model("mock")
        .prompt("Say hi").build());

    assertThat(uri).isEqualTo("/v1/completions");
    assertThat(openAi.choices().get(0).text()).isEqualTo("Echo: Say hi");
    assertThat(mock.choices().get(0).text()).isEqualTo("Hello from Spillway's mock provider. You said: Say hi");
    assertThat(mock.id()).startsWith("cmpl-");
  }

  /**
   * A spent budget is a 429 the SDK would retry (twice, by default, with backoff) were it not for
   * {@code x-should-retry: false}: the SDK raises it after one request.
   */
  @Test
  void aSpentBudgetIsRaisedOnceWithoutRetries() {
    OpenAIClient spent = OpenAIOkHttpClient.builder().baseUrl(fleet.node.openAiBaseUrl()).apiKey(SPENT_KEY).build();
    try {
      assertThatThrownBy(() -> spent.chat().completions().create(chat("openai", "hi")))
          .isInstanceOfSatisfying(RateLimitException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(429);
            assertThat(e.code()).contains("budget_exceeded");
            assertThat(e.type()).contains("insufficient_quota");
          });
    } finally {
      spent.close();
    }
    assertThat(provider.requestCount()).isZero();
    // Every request is recorded, refusals too: exactly one reached the node.
    await().atMost(java.time.Duration.ofSeconds(10)).until(() -> fleet.node.controlPlane().usageEvents().stream()
        .anyMatch(e -> e.path("error_code").asString("").equals("budget_exceeded")));
    assertThat(fleet.node.controlPlane().usageEvents().stream()
        .filter(e -> e.path("error_code").asString("").equals("budget_exceeded"))).hasSize(1);
  }

  @Test
  void aRateLimitedPrimaryIsInvisibleToTheSdkWhichSeesOne200() {
    provider.respondWith(FakeResponse.error(429, "Rate limit reached for gpt-4o").header("retry-after", "20"));
    // Default retries: an SDK that saw a 429 would try again, and the fake would count it.
    OpenAIClient retrying = OpenAIOkHttpClient.builder().baseUrl(fleet.node.openAiBaseUrl()).apiKey(KEY).build();
    try {
      ChatCompletion completion = retrying.chat().completions().create(chat("openai-with-fallback", "hi"));

      assertThat(completion.choices()).hasSize(1);
      assertThat(provider.requestCount()).isEqualTo(1);
      assertThat(compatibleProvider.requestCount()).isEqualTo(1);
      // The primary's only key cools down for its Retry-After: the next request goes straight to the fallback.
      retrying.chat().completions().create(chat("openai-with-fallback", "again"));
      assertThat(provider.requestCount()).isEqualTo(1);
      assertThat(compatibleProvider.requestCount()).isEqualTo(2);
    } finally {
      retrying.close();
    }
  }

  @Test
  void raisesTheSdksOwnExceptionForEachError() {
    OpenAIClient wrongKey = client("sk-sw-doesnotexist00000000000000000000000000");
    OpenAIClient limited = client(LIMITED_KEY);
    try {
      assertThatThrownBy(() -> wrongKey.chat().completions().create(chat("openai", "hi")))
          .isInstanceOfSatisfying(UnauthorizedException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(401);
            assertThat(e.code()).contains("invalid_api_key");
          });
      assertThatThrownBy(() -> limited.chat().completions().create(chat("openai", "hi")))
          .isInstanceOf(PermissionDeniedException.class);
      assertThatThrownBy(() -> client.embeddings().create(EmbeddingCreateParams.builder().model("nope")
          .input("x").build())).isInstanceOf(NotFoundException.class);
    } finally {
      wrongKey.close();
      limited.close();
    }
    provider.enqueue(FakeResponse.error(400, "max_tokens is too large").errorType("invalid_request_error"),
        FakeResponse.error(500, "fake outage"));
    compatibleProvider.enqueue(FakeResponse.error(429, "slow down"));

    assertThatThrownBy(() -> client.chat().completions().create(chat("openai", "hi")))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("max_tokens is too large");
    assertThatThrownBy(() -> client.responses().create(ResponseCreateParams.builder().model("openai-compatible")
        .input("x")
        .build())).isInstanceOf(RateLimitException.class);
    assertThatThrownBy(() -> client.completions().create(CompletionCreateParams.builder().model("openai")
        .prompt("x").build()))
        .isInstanceOf(InternalServerException.class).hasMessageContaining("fake outage");
  }

  private static String outputText(Response response) {
    return response.output().get(0).message().orElseThrow().content().get(0).asOutputText().text();
  }

  private static Float[] boxed(float[] values) {
    Float[] boxed = new Float[values.length];
    for (int i = 0; i < values.length; i++) {
      boxed[i] = values[i];
    }
    return boxed;
  }
}
