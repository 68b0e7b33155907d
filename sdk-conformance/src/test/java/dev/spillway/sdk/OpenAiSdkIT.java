package dev.spillway.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

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
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
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
import dev.spillway.testsupport.Snapshots;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The official OpenAI Java SDK, unchanged but for its base URL and key, through a node: to a fake OpenAI
 * ({@code gpt}, native), a fake OpenAI-compatible server ({@code local}: Responses translated, embeddings encoded
 * by Spillway) and the built-in mock ({@code demo}).
 */
@ExtendWith(NoLeaksExtension.class)
class OpenAiSdkIT {
  static final String KEY = "sk-sw-sdkopenai000000000000000000000000000000";
  static final String LIMITED_KEY = "sk-sw-sdklimited0000000000000000000000000000";

  static FakeProvider provider;
  static ConformanceNode node;
  static OpenAIClient client;

  @BeforeAll
  static void start() {
    provider = FakeProvider.start();
    node = ConformanceNode.start(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .key("t1", LIMITED_KEY, "demo")
        .provider("oai", ProviderType.OPENAI, provider.baseUrl(), "sk-openai-secret-000000")
        .provider("compat", ProviderType.OPENAI_COMPATIBLE, provider.baseUrl(), "sk-compat-secret-000000")
        .provider("mock", ProviderType.MOCK, null)
        .route("gpt", "oai/gpt-4o")
        .route("local", "compat/llama")
        .route("demo", "mock/mock-1")
        .route("embed", "oai/text-embedding-3-small")
        .route("local-embed", "compat/nomic-embed")
        .build());
    client = client(KEY);
  }

  static OpenAIClient client(String key) {
    return OpenAIOkHttpClient.builder().baseUrl(node.openAiBaseUrl()).apiKey(key).maxRetries(0).build();
  }

  @AfterAll
  static void stop() {
    client.close();
    node.close();
    provider.close();
  }

  @BeforeEach
  void reset() {
    provider.reset();
  }

  private static ChatCompletionCreateParams chat(String model, String text) {
    return ChatCompletionCreateParams.builder().model(model).addUserMessage(text).build();
  }

  @Test
  void createsChatCompletionsThroughEveryKindOfProvider() {
    ChatCompletion openAi = client.chat().completions().create(chat("gpt", "hi"));
    ChatCompletion mock = client.chat().completions().create(chat("demo", "ping"));

    assertThat(openAi.choices().get(0).message().content()).contains("Echo: hi");
    assertThat(openAi.usage().orElseThrow().totalTokens()).isEqualTo(19);
    assertThat(provider.lastRequest().json().path("model").asString()).isEqualTo("gpt-4o");
    assertThat(mock.choices().get(0).message().content())
        .contains("Hello from Spillway's mock provider. You said: ping");
  }

  @Test
  void streamsChatCompletionsWithUsageWhenAsked() {
    provider.enqueue(FakeResponse.stream());
    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("gpt").addUserMessage("hi")
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();

    StringBuilder text = new StringBuilder();
    List<Long> usage = new ArrayList<>();
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
      stream.stream().forEach(chunk -> {
        chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append));
        chunk.usage().ifPresent(u -> usage.add(u.totalTokens()));
      });
    }

    assertThat(text.toString()).isEqualTo("Hello from the fake provider");
    assertThat(usage).containsExactly(19L);
  }

  @Test
  void callsToolsAndStreamsToolCalls() {
    ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("gpt")
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
    CreateEmbeddingResponse mock = client.embeddings().create(EmbeddingCreateParams.builder().model("demo")
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
    Response openAi = client.responses().create(ResponseCreateParams.builder().model("gpt").input("hi").build());
    String nativeUri = provider.lastRequest().uri();
    Response compatible = client.responses().create(ResponseCreateParams.builder().model("local")
        .instructions("Be brief.").input("hi").maxOutputTokens(20).build());
    Response mock = client.responses().create(ResponseCreateParams.builder().model("demo").input("ping").build());

    assertThat(nativeUri).isEqualTo("/v1/responses");
    assertThat(outputText(openAi)).isEqualTo("Echo: hi");
    assertThat(provider.lastRequest().uri()).isEqualTo("/v1/chat/completions");
    assertThat(outputText(compatible)).isEqualTo("Echo: hi");
    assertThat(compatible.id()).startsWith("resp_");
    assertThat(compatible.usage().orElseThrow().inputTokens()).isEqualTo(12);
    assertThat(compatible.maxOutputTokens()).contains(20L);
    assertThat(outputText(mock)).isEqualTo("Hello from Spillway's mock provider. You said: ping");
  }

  @Test
  void streamsResponsesAndReturnsFunctionCalls() {
    provider.enqueue(FakeResponse.stream(), FakeResponse.chat().toolCalls(
        FakeResponse.toolCall("call_9", "lookup", "{\"q\":\"x\"}")));

    StringBuilder text = new StringBuilder();
    List<Long> sequence = new ArrayList<>();
    List<Response> completed = new ArrayList<>();
    try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
        ResponseCreateParams.builder().model("local").input("hi").build())) {
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
    Response withTool = client.responses().create(ResponseCreateParams.builder().model("local").input("look up x")
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
    assertThat(provider.lastRequest().json().path("tools").get(0).path("function").path("name").asString())
        .isEqualTo("lookup");
  }

  @Test
  void createsLegacyCompletions() {
    Completion openAi = client.completions().create(CompletionCreateParams.builder().model("gpt")
        .prompt("Say hi").build());
    String uri = provider.lastRequest().uri();
    Completion mock = client.completions().create(CompletionCreateParams.builder().model("demo")
        .prompt("Say hi").build());

    assertThat(uri).isEqualTo("/v1/completions");
    assertThat(openAi.choices().get(0).text()).isEqualTo("Echo: Say hi");
    assertThat(mock.choices().get(0).text()).isEqualTo("Hello from Spillway's mock provider. You said: Say hi");
    assertThat(mock.id()).startsWith("cmpl-");
  }

  @Test
  void raisesTheSdksOwnExceptionForEachError() {
    OpenAIClient wrongKey = client("sk-sw-doesnotexist00000000000000000000000000");
    OpenAIClient limited = client(LIMITED_KEY);
    try {
      assertThatThrownBy(() -> wrongKey.chat().completions().create(chat("gpt", "hi")))
          .isInstanceOfSatisfying(UnauthorizedException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(401);
            assertThat(e.code()).contains("invalid_api_key");
          });
      assertThatThrownBy(() -> limited.chat().completions().create(chat("gpt", "hi")))
          .isInstanceOf(PermissionDeniedException.class);
      assertThatThrownBy(() -> client.embeddings().create(EmbeddingCreateParams.builder().model("nope")
          .input("x").build())).isInstanceOf(NotFoundException.class);
    } finally {
      wrongKey.close();
      limited.close();
    }
    provider.enqueue(FakeResponse.error(400, "max_tokens is too large").errorType("invalid_request_error"),
        FakeResponse.error(429, "slow down"), FakeResponse.error(500, "fake outage"));

    assertThatThrownBy(() -> client.chat().completions().create(chat("gpt", "hi")))
        .isInstanceOf(BadRequestException.class).hasMessageContaining("max_tokens is too large");
    assertThatThrownBy(() -> client.responses().create(ResponseCreateParams.builder().model("local").input("x")
        .build())).isInstanceOf(RateLimitException.class);
    assertThatThrownBy(() -> client.completions().create(CompletionCreateParams.builder().model("gpt")
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
