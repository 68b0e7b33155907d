package dev.spillway.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeAnthropic;
import dev.spillway.testsupport.FakeBedrock;
import dev.spillway.testsupport.FakeGemini;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.RecordedRequest;
import dev.spillway.testsupport.Snapshots;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Named;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One fake server per provider type (the {@code mock} runs inside the node), and one node whose snapshot routes the
 * model named after each type's wire name ({@code openai}, {@code azure-openai}, …) to that type. Each {@link Target}
 * knows how to script its fake (a streamed text, a tool call, an error, in the provider's own wire format) and how to
 * check, in that format, what the fake received. The SDK test classes take the provider type as their parameter and
 * ask {@link #target(ProviderType)} for the rest, so every type is driven the same way.
 */
final class ProviderFleet implements AutoCloseable {
  static final String STREAMED_TEXT = "Streamed through Spillway";
  private static final List<String> STREAMED_PIECES = List.of("Streamed", " through", " Spillway");
  static final String BEDROCK_ACCESS_KEY_ID = "AKIDEXAMPLE";
  static final String BEDROCK_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  static final String BEDROCK_REGION = "us-west-2";
  static final String BEDROCK_MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0";
  static final String GEMINI_KEY = "gemini-fake-key-0123456789";
  static final String AZURE_KEY = "azure-secret-key-0123456789abcdef";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  final FakeProvider openAi = FakeProvider.start();
  final FakeProvider azure = FakeProvider.start();
  final FakeProvider compatible = FakeProvider.start();
  final FakeAnthropic anthropic = FakeAnthropic.start();
  final FakeBedrock bedrock = FakeBedrock.start(BEDROCK_ACCESS_KEY_ID, BEDROCK_SECRET, BEDROCK_REGION);
  final FakeGemini gemini = FakeGemini.start(GEMINI_KEY);
  final ConformanceNode node;
  private final Map<ProviderType, Target> targets = new EnumMap<>(ProviderType.class);

  private ProviderFleet(String teamKey, UnaryOperator<Snapshots> more) {
    targets.put(ProviderType.OPENAI, new OpenAiShaped(ProviderType.OPENAI, openAi, "gpt-4o"));
    targets.put(ProviderType.AZURE_OPENAI, new OpenAiShaped(ProviderType.AZURE_OPENAI, azure, "gpt-4o-deployment"));
    targets.put(ProviderType.OPENAI_COMPATIBLE,
        new OpenAiShaped(ProviderType.OPENAI_COMPATIBLE, compatible, "llama-3.3-70b"));
    targets.put(ProviderType.ANTHROPIC, new AnthropicTarget());
    targets.put(ProviderType.BEDROCK, new BedrockTarget());
    targets.put(ProviderType.GEMINI, new GeminiTarget());
    targets.put(ProviderType.MOCK, new MockTarget());
    Snapshots snapshot = Snapshots.builder()
        .team("t1")
        .key("t1", teamKey)
        .provider("openai", ProviderType.OPENAI, openAi.baseUrl(), "sk-openai-secret-000000")
        .provider("azure", ProviderType.AZURE_OPENAI, azure.origin(), AZURE_KEY)
        .provider("compatible", ProviderType.OPENAI_COMPATIBLE, compatible.baseUrl(), "sk-compat-secret-000000")
        .provider("anthropic", ProviderType.ANTHROPIC, anthropic.baseUrl(), "sk-ant-upstream-000000")
        .provider("bedrock", ProviderType.BEDROCK, bedrock.baseUrl(),
            Map.of("region", BEDROCK_REGION, "access_key_id", BEDROCK_ACCESS_KEY_ID), null, BEDROCK_SECRET)
        .provider("gemini", ProviderType.GEMINI, gemini.baseUrl(), GEMINI_KEY)
        .provider("mock", ProviderType.MOCK, null)
        .route("openai", "openai/gpt-4o")
        .route("azure-openai", "azure/gpt-4o-deployment")
        .route("openai-compatible", "compatible/llama-3.3-70b")
        .route("anthropic", "anthropic/claude-sonnet-4-5")
        .route("bedrock", "bedrock/" + BEDROCK_MODEL)
        .route("gemini", "gemini/gemini-2.5-flash")
        .route("mock", "mock/mock-1");
    node = ConformanceNode.start(more.apply(snapshot).build());
  }

  /** Starts every fake and a node; {@code more} may add keys, providers and routes to the snapshot. */
  static ProviderFleet start(String teamKey, UnaryOperator<Snapshots> more) {
    return new ProviderFleet(teamKey, more);
  }

  /**
   * The matrix's parameter: every provider type there is, named by its wire name. A new type makes every matrix test
   * fail in {@link #target} until it has a fake here.
   */
  static Stream<Named<ProviderType>> providerTypes() {
    return Arrays.stream(ProviderType.values()).map(type -> Named.of(type.wireName(), type));
  }

  Target target(ProviderType type) {
    Target target = targets.get(type);
    if (target == null) {
      throw new AssertionError("no fake server for provider type " + type.wireName() + ": add one to the fleet");
    }
    return target;
  }

  void reset() {
    node.forgetTargetHealth();
    openAi.reset();
    azure.reset();
    compatible.reset();
    anthropic.reset();
    bedrock.reset();
    gemini.reset();
  }

  @Override
  public void close() {
    node.close();
    openAi.close();
    azure.close();
    compatible.close();
    anthropic.close();
    bedrock.close();
    gemini.close();
  }

  /** Token counts as the SDK should see them; {@link #ANY} when they are not fixed but must be positive. */
  record Tokens(long input, long output) {
    static final Tokens ANY = new Tokens(-1, -1);

    void assertSeen(long seenInput, long seenOutput) {
      if (this == ANY) {
        assertThat(seenInput).as("input tokens").isPositive();
        assertThat(seenOutput).as("output tokens").isPositive();
      } else {
        assertThat(new Tokens(seenInput, seenOutput)).as("input and output tokens").isEqualTo(this);
      }
    }
  }

  /** The tool turn the SDK tests play: what the model called and what the client answered. */
  record ToolTurn(String callId, String name, String arguments, String result) {}

  /** One provider type behind the node: the route to ask for, how to script its fake, what to expect. */
  abstract static class Target {
    final ProviderType type;

    Target(ProviderType type) {
      this.type = type;
    }

    /** The model name the SDK sends: the route named after the provider type. */
    String route() {
      return type.wireName();
    }

    /** The answer to a plain request whose last user message is {@code prompt}. */
    String echo(String prompt) {
      return "Echo: " + prompt;
    }

    /** The usage of a plain answer. */
    abstract Tokens usage();

    /** Scripts a streamed text answer and returns the text the SDK should assemble. */
    abstract String scriptStream(String prompt);

    /**
     * The usage the SDK should see at the end of a stream, or empty when the provider does not report it;
     * {@code clientAsked} is true when the client asked for it (OpenAI's {@code stream_options.include_usage}).
     */
    Optional<Tokens> streamUsage(boolean clientAsked) {
      return Optional.of(usage());
    }

    /** Scripts a call of tool {@code name} with {@code arguments}, as a complete answer or as a stream. */
    abstract void scriptToolCall(String id, String name, String arguments, boolean stream);

    /** The arguments the SDK should see for a call scripted with {@code scripted}. */
    String expectedArguments(String scripted) {
      return scripted;
    }

    /** True when the provider gives the call the id scripted; Gemini names calls, Spillway numbers them. */
    boolean keepsToolCallId() {
      return true;
    }

    /**
     * Checks, in the provider's own format, that the last request replayed the tool call and carried its result;
     * {@code answer} is the text the SDK got for that request.
     */
    abstract void assertReceivedToolResult(ToolTurn turn, String answer);

    /** Checks that the last request reached the provider's endpoint for the routed model, streamed or not. */
    abstract void assertReached(boolean stream);

    /**
     * Scripts a 400 from the provider with {@code message} in its error format and returns the text the SDK's
     * exception should carry, or empty when the provider cannot fail (the mock).
     */
    abstract Optional<String> scriptBadRequest(String message);

    /** Scripts a 429 from the provider in its error format; false when the provider cannot fail (the mock). */
    abstract boolean scriptRateLimit(String message);
  }

  private static List<JsonNode> list(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).toList();
  }

  /** The text of a content that is a string, or of its text parts. */
  private static String text(JsonNode content) {
    if (content.isString()) {
      return content.asString();
    }
    StringBuilder text = new StringBuilder();
    content.forEach(part -> text.append(part.path("text").asString("")));
    return text.toString();
  }

  /** openai, azure-openai and openai-compatible: a {@link FakeProvider}, OpenAI's wire format. */
  private static final class OpenAiShaped extends Target {
    private final FakeProvider fake;
    private final String model;

    OpenAiShaped(ProviderType type, FakeProvider fake, String model) {
      super(type);
      this.fake = fake;
      this.model = model;
    }

    @Override
    Tokens usage() {
      return new Tokens(12, 7);
    }

    @Override
    Optional<Tokens> streamUsage(boolean clientAsked) {
      // Every OpenAI-style provider is asked for stream usage, openai-compatible servers too (docs/providers.md).
      return Optional.of(usage());
    }

    @Override
    String scriptStream(String prompt) {
      fake.enqueue(FakeResponse.stream().chunks(STREAMED_PIECES));
      return STREAMED_TEXT;
    }

    @Override
    void scriptToolCall(String id, String name, String arguments, boolean stream) {
      FakeResponse.ToolCall call = FakeResponse.toolCall(id, name, arguments);
      fake.enqueue(stream ? FakeResponse.stream().toolCalls(call) : FakeResponse.chat().toolCalls(call));
    }

    @Override
    void assertReceivedToolResult(ToolTurn turn, String answer) {
      List<JsonNode> messages = list(fake.lastRequest().json().path("messages"));
      JsonNode assistant = messages.stream().filter(m -> m.path("tool_calls").isArray()).findFirst().orElseThrow();
      JsonNode call = assistant.path("tool_calls").get(0);
      assertThat(call.path("id").asString()).isEqualTo(turn.callId());
      assertThat(call.path("function").path("name").asString()).isEqualTo(turn.name());
      assertThat(JSON.readTree(call.path("function").path("arguments").asString()))
          .isEqualTo(JSON.readTree(turn.arguments()));
      JsonNode result = messages.stream().filter(m -> m.path("role").asString("").equals("tool")).findFirst()
          .orElseThrow();
      assertThat(result.path("tool_call_id").asString()).isEqualTo(turn.callId());
      assertThat(text(result.path("content"))).isEqualTo(turn.result());
      assertThat(answer).isEqualTo("Echo: Weather in Paris?");
    }

    @Override
    void assertReached(boolean stream) {
      RecordedRequest request = fake.lastRequest();
      if (type == ProviderType.AZURE_OPENAI) {
        assertThat(request.uri()).startsWith("/openai/deployments/" + model + "/chat/completions?api-version=");
        assertThat(request.header("api-key")).isEqualTo(AZURE_KEY);
      } else {
        assertThat(request.uri()).isEqualTo("/v1/chat/completions");
        assertThat(request.json().path("model").asString()).isEqualTo(model);
        assertThat(request.header("authorization")).startsWith("Bearer sk-");
      }
      assertThat(request.json().path("stream").asBoolean(false)).isEqualTo(stream);
    }

    @Override
    Optional<String> scriptBadRequest(String message) {
      fake.enqueue(FakeResponse.error(400, message).errorType("invalid_request_error"));
      return Optional.of(message);
    }

    @Override
    boolean scriptRateLimit(String message) {
      fake.enqueue(FakeResponse.error(429, message).errorType("rate_limit_exceeded"));
      return true;
    }
  }

  /** anthropic: {@link FakeAnthropic}, the Messages API. */
  private final class AnthropicTarget extends Target {
    AnthropicTarget() {
      super(ProviderType.ANTHROPIC);
    }

    @Override
    Tokens usage() {
      return new Tokens(21, 9);
    }

    @Override
    String scriptStream(String prompt) {
      anthropic.enqueue(FakeAnthropic.Reply.text(STREAMED_TEXT));
      return STREAMED_TEXT;
    }

    @Override
    void scriptToolCall(String id, String name, String arguments, boolean stream) {
      anthropic.enqueue(FakeAnthropic.Reply.toolUse(id, name, arguments));
    }

    @Override
    void assertReceivedToolResult(ToolTurn turn, String answer) {
      List<JsonNode> messages = list(anthropic.lastRequest().json().path("messages"));
      JsonNode toolUse = messages.stream().filter(m -> m.path("role").asString("").equals("assistant"))
          .flatMap(m -> list(m.path("content")).stream())
          .filter(b -> b.path("type").asString("").equals("tool_use")).findFirst().orElseThrow();
      assertThat(toolUse.path("id").asString()).isEqualTo(turn.callId());
      assertThat(toolUse.path("name").asString()).isEqualTo(turn.name());
      assertThat(toolUse.path("input")).isEqualTo(JSON.readTree(turn.arguments()));
      JsonNode last = messages.get(messages.size() - 1);
      assertThat(last.path("role").asString()).isEqualTo("user");
      JsonNode result = list(last.path("content")).stream()
          .filter(b -> b.path("type").asString("").equals("tool_result")).findFirst().orElseThrow();
      assertThat(result.path("tool_use_id").asString()).isEqualTo(turn.callId());
      assertThat(text(result.path("content"))).isEqualTo(turn.result());
      assertThat(answer).startsWith("Echo: ");
    }

    @Override
    void assertReached(boolean stream) {
      RecordedRequest request = anthropic.lastRequest();
      assertThat(request.uri()).isEqualTo("/v1/messages");
      assertThat(request.json().path("model").asString()).isEqualTo("claude-sonnet-4-5");
      assertThat(request.header("x-api-key")).isEqualTo("sk-ant-upstream-000000");
      assertThat(request.header("anthropic-version")).isNotBlank();
      assertThat(request.json().path("stream").asBoolean(false)).isEqualTo(stream);
    }

    @Override
    Optional<String> scriptBadRequest(String message) {
      anthropic.enqueue(FakeAnthropic.Reply.error(400, "invalid_request_error", message));
      return Optional.of(message);
    }

    @Override
    boolean scriptRateLimit(String message) {
      anthropic.enqueue(FakeAnthropic.Reply.error(429, "rate_limit_error", message));
      return true;
    }
  }

  /** bedrock: {@link FakeBedrock}, Converse and ConverseStream, every request's SigV4 checked. */
  private final class BedrockTarget extends Target {
    BedrockTarget() {
      super(ProviderType.BEDROCK);
    }

    @Override
    Tokens usage() {
      return new Tokens(12, 7);
    }

    @Override
    String scriptStream(String prompt) {
      bedrock.enqueue(FakeBedrock.Reply.converse().chunks(STREAMED_PIECES.toArray(String[]::new)));
      return STREAMED_TEXT;
    }

    @Override
    void scriptToolCall(String id, String name, String arguments, boolean stream) {
      bedrock.enqueue(FakeBedrock.Reply.converse().toolUse(id, name, arguments));
    }

    @Override
    void assertReceivedToolResult(ToolTurn turn, String answer) {
      JsonNode request = bedrock.lastRequest().json();
      List<JsonNode> messages = list(request.path("messages"));
      JsonNode toolUse = messages.stream().filter(m -> m.path("role").asString("").equals("assistant"))
          .flatMap(m -> list(m.path("content")).stream())
          .map(b -> b.path("toolUse")).filter(JsonNode::isObject).findFirst().orElseThrow();
      assertThat(toolUse.path("toolUseId").asString()).isEqualTo(turn.callId());
      assertThat(toolUse.path("name").asString()).isEqualTo(turn.name());
      assertThat(toolUse.path("input")).isEqualTo(JSON.readTree(turn.arguments()));
      JsonNode last = messages.get(messages.size() - 1);
      assertThat(last.path("role").asString()).isEqualTo("user");
      JsonNode result = list(last.path("content")).stream().map(b -> b.path("toolResult"))
          .filter(JsonNode::isObject).findFirst().orElseThrow();
      assertThat(result.path("toolUseId").asString()).isEqualTo(turn.callId());
      assertThat(text(result.path("content"))).isEqualTo(turn.result());
      assertThat(request.path("toolConfig").path("tools").get(0).path("toolSpec").path("name").asString())
          .isEqualTo(turn.name());
      assertThat(bedrock.authFailures()).isEmpty();
      assertThat(answer).isEqualTo("Echo: ");
    }

    @Override
    void assertReached(boolean stream) {
      RecordedRequest request = bedrock.lastRequest();
      String encoded = BEDROCK_MODEL.replace(":", "%3A");
      assertThat(request.uri()).isEqualTo("/model/" + encoded + (stream ? "/converse-stream" : "/converse"));
      assertThat(request.header("authorization"))
          .startsWith("AWS4-HMAC-SHA256 Credential=" + BEDROCK_ACCESS_KEY_ID + "/");
      assertThat(bedrock.authFailures()).isEmpty();
    }

    @Override
    Optional<String> scriptBadRequest(String message) {
      bedrock.enqueue(FakeBedrock.Reply.error(400, "ValidationException", message));
      return Optional.of(message);
    }

    @Override
    boolean scriptRateLimit(String message) {
      bedrock.enqueue(FakeBedrock.Reply.error(429, "ThrottlingException", message));
      return true;
    }
  }

  /** gemini: {@link FakeGemini}, generateContent and streamGenerateContent. */
  private final class GeminiTarget extends Target {
    GeminiTarget() {
      super(ProviderType.GEMINI);
    }

    @Override
    Tokens usage() {
      return new Tokens(9, 5);
    }

    @Override
    String scriptStream(String prompt) {
      gemini.enqueue(FakeGemini.Reply.content().chunks(STREAMED_PIECES.toArray(String[]::new)));
      return STREAMED_TEXT;
    }

    @Override
    void scriptToolCall(String id, String name, String arguments, boolean stream) {
      gemini.enqueue(FakeGemini.Reply.content().functionCall(name, arguments));
    }

    @Override
    boolean keepsToolCallId() {
      return false;
    }

    @Override
    void assertReceivedToolResult(ToolTurn turn, String answer) {
      JsonNode request = gemini.lastRequest().json();
      List<JsonNode> contents = list(request.path("contents"));
      JsonNode call = contents.stream().filter(c -> c.path("role").asString("").equals("model"))
          .flatMap(c -> list(c.path("parts")).stream()).map(p -> p.path("functionCall"))
          .filter(JsonNode::isObject).findFirst().orElseThrow();
      assertThat(call.path("name").asString()).isEqualTo(turn.name());
      assertThat(call.path("args")).isEqualTo(JSON.readTree(turn.arguments()));
      JsonNode last = contents.get(contents.size() - 1);
      assertThat(last.path("role").asString()).isEqualTo("user");
      JsonNode response = list(last.path("parts")).stream().map(p -> p.path("functionResponse"))
          .filter(JsonNode::isObject).findFirst().orElseThrow();
      assertThat(response.path("name").asString()).isEqualTo(turn.name());
      // A result that is a JSON object is the functionResponse's response itself.
      assertThat(response.path("response")).isEqualTo(JSON.readTree(turn.result()));
      assertThat(request.path("tools").get(0).path("functionDeclarations").get(0).path("name").asString())
          .isEqualTo(turn.name());
      assertThat(answer).isEqualTo("Echo: ");
    }

    @Override
    void assertReached(boolean stream) {
      RecordedRequest request = gemini.lastRequest();
      assertThat(request.uri()).isEqualTo("/v1beta/models/gemini-2.5-flash:"
          + (stream ? "streamGenerateContent?alt=sse" : "generateContent"));
      assertThat(request.header("x-goog-api-key")).isEqualTo(GEMINI_KEY);
    }

    @Override
    Optional<String> scriptBadRequest(String message) {
      gemini.enqueue(FakeGemini.Reply.error(400, "INVALID_ARGUMENT", message));
      return Optional.of(message);
    }

    @Override
    boolean scriptRateLimit(String message) {
      gemini.enqueue(FakeGemini.Reply.error(429, "RESOURCE_EXHAUSTED", message));
      return true;
    }
  }

  /**
   * mock: answers in the node, deterministically; nothing to script. It calls a tool when the request forces one
   * ({@code tool_choice} required / a named function) and answers a tool result by quoting it.
   */
  private static final class MockTarget extends Target {
    static final String GREETING = "Hello from Spillway's mock provider. You said: ";

    MockTarget() {
      super(ProviderType.MOCK);
    }

    @Override
    String echo(String prompt) {
      return GREETING + prompt;
    }

    @Override
    Tokens usage() {
      // Counted roughly (four characters a token) from what the SDK sent.
      return Tokens.ANY;
    }

    @Override
    String scriptStream(String prompt) {
      return echo(prompt);
    }

    @Override
    void scriptToolCall(String id, String name, String arguments, boolean stream) {
      // Nothing to script: the request forces the call.
    }

    @Override
    String expectedArguments(String scripted) {
      // The mock fills each required property with a placeholder of its type.
      return "{\"city\":\"mock\"}";
    }

    @Override
    boolean keepsToolCallId() {
      return false;
    }

    @Override
    void assertReceivedToolResult(ToolTurn turn, String answer) {
      // The mock records nothing; it quotes the tool message it was sent, which it finds by OpenAI's role "tool".
      assertThat(answer).isEqualTo("Hello from Spillway's mock provider. The tool answered: " + turn.result());
    }

    @Override
    void assertReached(boolean stream) {
      // In process: there is no server to have reached; the answer's text shows the mock made it.
    }

    @Override
    Optional<String> scriptBadRequest(String message) {
      return Optional.empty();
    }

    @Override
    boolean scriptRateLimit(String message) {
      return false;
    }
  }
}
