package dev.spillway.dataplane;

import static dev.spillway.dataplane.NodeClient.body;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeAnthropic;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * Requests a provider would refuse are refused by the node before any provider is called: every inbound API, to a
 * target that speaks it natively and to one that needs translation, answers 400 {@code invalid_request} in the
 * client API's error shape naming the field, and neither fake provider receives anything.
 */
@ExtendWith(NoLeaksExtension.class)
class RequestValidationIT {
  static final String KEY = "sk-sw-validation000000000000000000000000000000";

  static FakeProvider openAi;
  static FakeAnthropic anthropic;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;
  static NodeClient client;

  @BeforeAll
  static void start() throws Exception {
    openAi = FakeProvider.start();
    anthropic = FakeAnthropic.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("compat", ProviderType.OPENAI_COMPATIBLE, openAi.baseUrl(), "sk-compat-secret-000000")
        .provider("oai", ProviderType.OPENAI, openAi.baseUrl(), "sk-openai-secret-000000")
        .provider("claude", ProviderType.ANTHROPIC, anthropic.baseUrl(), "sk-ant-secret-000000")
        .route("compat", "compat/gpt-x")
        .route("openai", "oai/gpt-x")
        .route("claude", "claude/claude-x")
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("validation-it"), Map.of());
    TestNodes.awaitVersion(node, 1);
    client = new NodeClient(node, KEY);
  }

  @AfterAll
  static void stop() {
    node.close();
    controlPlane.close();
    openAi.close();
    anthropic.close();
  }

  @BeforeEach
  void reset() {
    openAi.reset();
    anthropic.reset();
  }

  /** One invalid body: the field it gets wrong and a piece of the message that says how. */
  record Invalid(String body, String param, String message) {}

  static final String CHAT = "/v1/chat/completions";
  static final String COMPLETIONS = "/v1/completions";
  static final String RESPONSES = "/v1/responses";
  static final String EMBEDDINGS = "/v1/embeddings";
  static final String MESSAGES = "/v1/messages";
  static final String COUNT_TOKENS = "/v1/messages/count_tokens";

  static final String USER = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

  static final Map<String, List<Invalid>> INVALID = Map.of(
      CHAT, List.of(
          new Invalid("{\"messages\":[{\"role\":\"nobody\",\"content\":5}]}", "messages[0].role",
              "must be one of system, developer, user, assistant, tool, function (got \"nobody\")"),
          new Invalid("{\"messages\":[{\"role\":\"user\",\"content\":5}]}", "messages[0].content",
              "messages[0].content: must be a string or an array of content parts"),
          new Invalid("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}",
              "messages[0].content[0].image_url", "is required"),
          new Invalid("{\"messages\":[{\"role\":\"tool\",\"content\":\"42\"}]}", "messages[0].tool_call_id",
              "is required"),
          new Invalid("{" + USER + ",\"max_tokens\":-1}", "max_tokens", "must be an integer of at least 1"),
          new Invalid("{" + USER + ",\"max_tokens\":99999999999999999999}", "max_tokens",
              "(got 99999999999999999999)"),
          new Invalid("{" + USER + ",\"n\":-1}", "n", "must be an integer from 1 to 128"),
          new Invalid("{" + USER + ",\"stream_options\":5}", "stream_options", "must be an object"),
          new Invalid("{" + USER + ",\"temperature\":3}", "temperature", "must be a number from 0 to 2"),
          new Invalid("{" + USER + ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", "stop", "at most 4"),
          new Invalid("{" + USER + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a b\"}}]}",
              "tools[0].function.name", "must be 1 to 64 letters"),
          new Invalid("{" + USER + ",\"tool_choice\":\"sometimes\"}", "tool_choice", "must be none, auto, required"),
          new Invalid("{" + USER + ",\"response_format\":{\"type\":\"yaml\"}}", "response_format.type",
              "must be text, json_object or json_schema")),
      COMPLETIONS, List.of(
          new Invalid("{\"prompt\":5}", "prompt", "must be a string"),
          new Invalid("{\"prompt\":\"p\",\"max_tokens\":-1}", "max_tokens", "must be an integer of at least 0"),
          new Invalid("{\"prompt\":\"p\",\"n\":0}", "n", "must be an integer from 1 to 128"),
          new Invalid("{\"prompt\":\"p\",\"stream_options\":5}", "stream_options", "must be an object"),
          new Invalid("{\"prompt\":\"p\",\"logprobs\":6}", "logprobs", "must be an integer from 0 to 5"),
          new Invalid("{\"prompt\":\"p\",\"top_p\":2}", "top_p", "must be a number from 0 to 1")),
      RESPONSES, List.of(
          new Invalid("{\"input\":5}", "input", "must be a string or an array of input items"),
          new Invalid("{\"input\":[{\"role\":\"nobody\",\"content\":\"x\"}]}", "input[0].role", "must be one of"),
          new Invalid("{\"input\":\"x\",\"max_output_tokens\":99999999999999999999}", "max_output_tokens",
              "(got 99999999999999999999)"),
          new Invalid("{\"input\":\"x\",\"temperature\":3}", "temperature", "must be a number from 0 to 2"),
          new Invalid("{\"input\":\"x\",\"store\":\"yes\"}", "store", "must be true or false"),
          new Invalid("{\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":\"a b\"}]}", "tools[0].name",
              "must be 1 to 64 letters"),
          new Invalid("{\"input\":\"x\",\"text\":{\"format\":{\"type\":\"yaml\"}}}", "text.format.type",
              "must be text, json_object or json_schema")),
      MESSAGES, List.of(
          new Invalid("{\"max_tokens\":99999999999999999999," + USER + "}", "max_tokens",
              "at most 2147483647 (got 99999999999999999999)"),
          new Invalid("{\"max_tokens\":-1," + USER + "}", "max_tokens", "must be an integer of at least 1"),
          new Invalid("{" + USER + "}", "max_tokens", "Field required"),
          new Invalid("{\"max_tokens\":5,\"messages\":[{\"role\":\"nobody\",\"content\":\"x\"}]}", "messages.0.role",
              "must be user or assistant"),
          new Invalid("{\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":5}]}", "messages.0.content",
              "must be a string or an array of content blocks"),
          new Invalid("{\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\","
              + "\"source\":{\"type\":\"url\"}}]}]}", "messages.0.content.0.source.url", "Field required"),
          new Invalid("{\"max_tokens\":5," + USER + ",\"temperature\":1.5}", "temperature",
              "must be a number from 0 to 1"),
          new Invalid("{\"max_tokens\":5," + USER + ",\"top_k\":-1}", "top_k", "must be an integer of at least 0"),
          new Invalid("{\"max_tokens\":5," + USER + ",\"stop_sequences\":\"x\"}", "stop_sequences",
              "must be an array of strings"),
          new Invalid("{\"max_tokens\":5," + USER + ",\"thinking\":{\"type\":\"enabled\"}}", "thinking.budget_tokens",
              "Field required"),
          new Invalid("{\"max_tokens\":5," + USER + ",\"metadata\":\"m\"}", "metadata", "must be an object")),
      COUNT_TOKENS, List.of(
          new Invalid("{\"max_tokens\":99999999999999999999," + USER + "}", "max_tokens",
              "at most 2147483647 (got 99999999999999999999)"),
          new Invalid("{\"messages\":[{\"role\":\"user\",\"content\":5}]}", "messages.0.content",
              "must be a string or an array of content blocks"),
          new Invalid("{" + USER + ",\"temperature\":1.5}", "temperature", "must be a number from 0 to 1")),
      EMBEDDINGS, List.of(
          new Invalid("{\"input\":[]}", "input", "must be a string, an array of strings or token arrays"),
          new Invalid("{\"input\":\"x\",\"dimensions\":99999999999999999999}", "dimensions",
              "must be an integer from 1 to 65536"),
          new Invalid("{\"input\":\"x\",\"encoding_format\":\"hex\"}", "encoding_format", "must be float or base64"),
          new Invalid("{\"input\":\"x\",\"user\":5}", "user", "must be a string")));

  /** Per API, a route it reaches natively and one it reaches through translation (or, for embeddings, not at all). */
  static final Map<String, List<String>> TARGETS = Map.of(
      CHAT, List.of("compat", "claude"),
      COMPLETIONS, List.of("compat", "claude"),
      RESPONSES, List.of("openai", "compat", "claude"),
      MESSAGES, List.of("claude", "compat"),
      COUNT_TOKENS, List.of("claude", "compat"),
      EMBEDDINGS, List.of("compat", "claude"));

  static Stream<Arguments> invalidRequests() {
    List<Arguments> cases = new ArrayList<>();
    INVALID.forEach((path, invalids) -> TARGETS.get(path).forEach(model -> invalids.forEach(invalid ->
        cases.add(Arguments.of(path, model, invalid)))));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} to {1}: {2}")
  @MethodSource("invalidRequests")
  void refusesInvalidRequestsBeforeCallingAnyProvider(String path, String model, Invalid invalid) throws Exception {
    String body = "{\"model\":\"" + model + "\"," + invalid.body().substring(1);

    HttpResponse<String> response = client.post(path, body);

    assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
    JsonNode answer = body(response);
    JsonNode error = answer.path("error");
    if (path.startsWith(MESSAGES)) {
      assertThat(answer.path("type").asString()).isEqualTo("error");
      assertThat(error.path("type").asString()).isEqualTo("invalid_request_error");
      assertThat(error.has("param")).isFalse();
    } else {
      assertThat(error.path("code").asString()).isEqualTo("invalid_request");
      assertThat(error.path("type").asString()).isEqualTo("invalid_request_error");
      assertThat(error.path("param").asString()).isEqualTo(invalid.param());
    }
    assertThat(error.path("message").asString()).startsWith(invalid.param() + ": ").contains(invalid.message());
    assertThat(openAi.requestCount()).as("requests the OpenAI fake received").isZero();
    assertThat(anthropic.requestCount()).as("requests the Anthropic fake received").isZero();
  }

  /** The same routes do reach the fakes with valid requests: the refusals above are the node's own. */
  @Test
  void validRequestsOnTheSameRoutesReachTheProviders() throws Exception {
    client.post(CHAT, "{\"model\":\"compat\"," + USER + ",\"max_tokens\":1,\"n\":1,\"stream_options\":null}");
    client.post(COMPLETIONS, "{\"model\":\"compat\",\"prompt\":\"p\",\"max_tokens\":0}");
    client.post(RESPONSES, "{\"model\":\"openai\",\"input\":\"x\",\"store\":false}");
    client.post(EMBEDDINGS, "{\"model\":\"compat\",\"input\":\"x\",\"dimensions\":8}");
    client.post(MESSAGES, "{\"model\":\"compat\",\"max_tokens\":2147483647," + USER + ",\"temperature\":1}");
    assertThat(openAi.requestCount()).isEqualTo(5);

    client.post(CHAT, "{\"model\":\"claude\"," + USER + ",\"temperature\":2}");
    client.post(MESSAGES, "{\"model\":\"claude\",\"max_tokens\":1," + USER + ",\"top_k\":0}");
    client.post(COUNT_TOKENS, "{\"model\":\"claude\"," + USER + "}");
    assertThat(anthropic.requestCount()).isEqualTo(3);
  }
}
