package dev.spillway.dataplane.protocol.anthropic;

import dev.spillway.dataplane.provider.ProviderRuntime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.protocol.openai.OpenAiChatFormat;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.framing.SseEvent;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.usage.Usage;
import dev.spillway.testsupport.NoLeaksExtension;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** The {@code anthropic} adapter: URLs, headers, refusals with the field named, usage on the native path. */
@ExtendWith(NoLeaksExtension.class)
class AnthropicAdapterTest {
  static final UpstreamRequest.Timeouts TIMEOUTS = new UpstreamRequest.Timeouts(1000, 2000, 3000, 4000);
  final AnthropicAdapter adapter = new AnthropicAdapter(TIMEOUTS);

  static ProviderRuntime provider(String baseUrl, Map<String, String> settings) {
    ProviderConfig config = new ProviderConfig("p1", "claude", ProviderType.ANTHROPIC, baseUrl, List.of(), settings,
        null);
    return new ProviderRuntime(config, URI.create(baseUrl), List.of(new ProviderRuntime.Credential("k", 1,
        "sk-ant-secret")));
  }

  static ChatCall openAiCall(String json) {
    return new OpenAiChatFormat().parse((ObjectNode) Json.parse(json.getBytes(StandardCharsets.UTF_8)));
  }

  static ChatCall anthropicCall(String json, HttpHeaders headers) {
    return new AnthropicMessagesFormat().parse((ObjectNode) Json.parse(json.getBytes(StandardCharsets.UTF_8)),
        headers);
  }

  static JsonNode body(UpstreamRequest request) {
    try {
      return Json.parse(request.body().toString(StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));
    } finally {
      request.body().release();
    }
  }

  @Test
  void speaksOnlyTheMessagesApi() {
    assertThat(adapter.speaks(InboundApi.ANTHROPIC_MESSAGES)).isTrue();
    assertThat(adapter.speaks(InboundApi.OPENAI_CHAT)).isFalse();
    assertThat(adapter.speaks(InboundApi.ANTHROPIC_COUNT_TOKENS)).isFalse();
  }

  @ParameterizedTest
  @CsvSource({"https://api.anthropic.com, https://api.anthropic.com/v1/messages",
      "https://api.anthropic.com/v1, https://api.anthropic.com/v1/messages",
      "http://10.0.0.1:8080/proxy, http://10.0.0.1:8080/proxy/v1/messages"})
  void addressesTheMessagesEndpointBelowTheBaseUrl(String base, String expected) {
    assertThat(AnthropicAdapter.uri(provider(base, Map.of()), "/messages")).hasToString(expected);
  }

  @Test
  void sendsATranslatedRequestWithTheKeyTheDefaultVersionAndTheConfiguredBetas() {
    UpstreamRequest request = adapter.chat(provider("https://api.anthropic.com",
            Map.of("anthropic_beta", "a-1, b-2", "default_max_tokens", "777")), "claude-x",
        openAiCall("{\"model\":\"r\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));

    assertThat(request.uri()).hasToString("https://api.anthropic.com/v1/messages");
    assertThat(request.headers().get("x-api-key")).isEqualTo("sk-ant-secret");
    assertThat(request.headers().get("anthropic-version")).isEqualTo("2023-06-01");
    assertThat(request.headers().get("anthropic-beta")).isEqualTo("a-1,b-2");
    assertThat(request.headers().get("accept")).isEqualTo("text/event-stream");
    assertThat(request.headers().contains("authorization")).isFalse();
    assertThat(request.timeouts()).isEqualTo(TIMEOUTS);
    JsonNode body = body(request);
    assertThat(body.path("model").asString()).isEqualTo("claude-x");
    assertThat(body.path("max_tokens").asInt()).isEqualTo(777);
    assertThat(body.path("stream").asBoolean()).isTrue();
  }

  @Test
  void passesTheClientsBodyVersionAndBetasThroughOnTheNativePath() {
    HttpHeaders headers = new DefaultHttpHeaders().add("anthropic-version", "2025-01-01")
        .add("anthropic-beta", "x-1").add("anthropic-beta", "y-2,x-1");
    ChatCall call = anthropicCall("{\"model\":\"route\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\","
        + "\"content\":\"hi\"}],\"mcp_servers\":[{\"type\":\"url\",\"url\":\"https://mcp.example\",\"name\":\"m\"}]}",
        headers);

    UpstreamRequest request = adapter.passthrough(provider("https://api.anthropic.com",
        Map.of("anthropic_beta", "z-3", "anthropic_version", "2023-06-01")), "claude-x", call);

    assertThat(request.headers().get("anthropic-version")).isEqualTo("2025-01-01");
    assertThat(request.headers().get("anthropic-beta")).isEqualTo("x-1,y-2,z-3");
    JsonNode body = body(request);
    assertThat(body.path("model").asString()).isEqualTo("claude-x");
    assertThat(body.path("mcp_servers").get(0).path("name").asString()).isEqualTo("m");
    assertThat(call.nativeOnlyReason()).contains("mcp_servers");
  }

  @Test
  void usesTheConfiguredVersionWhenTheClientSentNone() {
    UpstreamRequest request = adapter.chat(provider("https://api.anthropic.com",
        Map.of("anthropic_version", "2024-10-22")), "m", openAiCall(
        "{\"model\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
    request.body().release();

    assertThat(request.headers().get("anthropic-version")).isEqualTo("2024-10-22");
    assertThat(request.headers().contains("anthropic-beta")).isFalse();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"n\":3}|n|n must be 1",
      "{\"logprobs\":true}|logprobs|log probabilities",
      "{\"modalities\":[\"text\",\"audio\"]}|modalities|text only",
      "{\"functions\":[{\"name\":\"f\"}]}|functions|tools",
      "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\",\"input_audio\":{}}]}]}|messages[0].content[0]|audio",
      "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"file\",\"file\":{\"file_id\":\"file-1\"}}]}]}|messages[0].content[0].file|file_id",
      "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"ftp://x\"}}]}]}|messages[0].content[0].image_url.url|data: URL",
      "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"[1]\"}}]}]}|messages[0].tool_calls[0].function.arguments|JSON object",
      "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}|messages[0].tool_call_id|required",
      "{\"tools\":[{\"type\":\"custom\",\"custom\":{\"name\":\"c\"}}]}|tools[0].type|function tools"})
  void refusesWhatAnthropicCannotTakeWithA400NamingTheField(String overrides, String field, String problem) {
    ObjectNode request = (ObjectNode) Json.parse(
        "{\"model\":\"r\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}".getBytes(StandardCharsets.UTF_8));
    request.setAll((ObjectNode) Json.parse(overrides.getBytes(StandardCharsets.UTF_8)));
    ChatCall call = new ChatCall(InboundApi.OPENAI_CHAT, request, request, false, false, "r");

    assertThatThrownBy(() -> adapter.chat(provider("https://api.anthropic.com", Map.of()), "m", call))
        .isInstanceOfSatisfying(GatewayException.class, e -> {
          assertThat(e.error()).isEqualTo(GatewayError.INVALID_REQUEST);
          assertThat(e.param()).isEqualTo(field);
          assertThat(e.getMessage()).startsWith(field + ": ").contains(problem);
        });
  }

  @Test
  void countsCacheReadsAndWritesAsInputOnTheNativePath() {
    Usage complete = adapter.nativeUsage(Json.parse(("{\"usage\":{\"input_tokens\":10,\"cache_read_input_tokens\""
        + ":100,\"cache_creation_input_tokens\":20,\"output_tokens\":7}}").getBytes(StandardCharsets.UTF_8)));
    Usage start = adapter.nativeStreamUsage(new SseEvent("message_start", "{\"type\":\"message_start\",\"message\":"
        + "{\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}"));
    Usage delta = adapter.nativeStreamUsage(new SseEvent("message_delta", "{\"type\":\"message_delta\",\"delta\":"
        + "{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":15}}"));
    Usage text = adapter.nativeStreamUsage(new SseEvent("content_block_delta", "{\"type\":\"content_block_delta\","
        + "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"message_start\"}}"));

    assertThat(complete).isEqualTo(new Usage(130, 7, 100));
    assertThat(start).isEqualTo(new Usage(25, 1, 0));
    assertThat(delta).isEqualTo(new Usage(0, 15, 0));
    assertThat(text).isNull();
  }

  @Test
  void asksAnthropicToCountTokensWithTheClientsBody() {
    ChatCall call = AnthropicMessagesFormat.countTokensCall((ObjectNode) Json.parse(
        "{\"model\":\"route\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}".getBytes(StandardCharsets.UTF_8)),
        new DefaultHttpHeaders());

    UpstreamRequest request = adapter.countTokens(provider("https://api.anthropic.com", Map.of()), "claude-x", call);

    assertThat(request.uri()).hasToString("https://api.anthropic.com/v1/messages/count_tokens");
    assertThat(body(request).toString())
        .isEqualTo("{\"model\":\"claude-x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(call.original().path("model").asString()).isEqualTo("route");
    assertThat(adapter.countTokensResponse(Json.parse("{\"input_tokens\":42}".getBytes(StandardCharsets.UTF_8))))
        .isEqualTo(42);
  }
}
