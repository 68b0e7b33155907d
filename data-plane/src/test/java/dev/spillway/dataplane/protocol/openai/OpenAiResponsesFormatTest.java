package dev.spillway.dataplane.protocol.openai;

import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.InboundApi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.ClientStreamEncoder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

class OpenAiResponsesFormatTest {
  private final OpenAiResponsesFormat format = new OpenAiResponsesFormat();

  @Test
  void turnsAStringInputIntoOneUserMessage() {
    ChatCall call = format.parse(json("{\"model\":\"m\",\"input\":\"hello\",\"stream\":true}"));

    assertThat(call.api()).isEqualTo(InboundApi.OPENAI_RESPONSES);
    assertThat(call.stream()).isTrue();
    assertThat(call.includeUsage()).isTrue();
    assertThat(call.canonical().path("messages").toString())
        .isEqualTo("[{\"role\":\"user\",\"content\":\"hello\"}]");
    assertThat(call.canonical().path("stream").asBoolean()).isTrue();
    assertThat(call.nativeOnlyReason()).isNull();
  }

  @Test
  void marksWhatOnlyOpenAiCanServeAsNativeOnlyWithoutRefusingIt() {
    ChatCall stateful = format.parse(json("{\"model\":\"m\",\"previous_response_id\":\"resp_1\"}"));
    ChatCall hosted = format.parse(json("{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"file_search\"}],"
        + "\"tool_choice\":{\"type\":\"file_search\"}}"));
    ChatCall byFile = format.parse(json("{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":"
        + "[{\"type\":\"input_image\",\"file_id\":\"file-1\"}]}]}"));

    assertThat(stateful.nativeOnlyReason()).contains("previous_response_id", "stateless");
    assertThat(hosted.nativeOnlyReason()).contains("tools[0]", "file_search");
    assertThat(hosted.canonical().has("tools")).isFalse();
    assertThat(byFile.nativeOnlyReason()).contains("file_id");
  }

  @Test
  void mapsJsonObjectFormatReasoningEffortAndAllowedTools() {
    ChatCall call = format.parse(json("""
        {"model":"m","input":"x","text":{"format":{"type":"json_object"}},"reasoning":{"effort":"high"},
         "tool_choice":{"type":"allowed_tools","mode":"required","tools":[]},"store":true,"truncation":"auto"}"""));

    assertThat(call.canonical().path("response_format").toString()).isEqualTo("{\"type\":\"json_object\"}");
    assertThat(call.canonical().path("reasoning_effort").asString()).isEqualTo("high");
    assertThat(call.canonical().path("tool_choice").asString()).isEqualTo("required");
    assertThat(call.canonical().has("store")).isFalse();
    assertThat(call.canonical().has("truncation")).isFalse();
  }

  @Test
  void refusesAnAssistantImage() {
    assertThatThrownBy(() -> format.parse(json("{\"model\":\"m\",\"input\":[{\"role\":\"assistant\",\"content\":"
        + "[{\"type\":\"input_image\",\"image_url\":\"https://x\"}]}]}")))
        .isInstanceOfSatisfying(GatewayException.class, e -> {
          assertThat(e.error()).isEqualTo(GatewayError.INVALID_REQUEST);
          assertThat(e.param()).isEqualTo("input[0].content[0]");
        });
  }

  @Test
  void encodesACompletionWithTextRefusalAndUsage() {
    ChatCall call = format.parse(json("{\"model\":\"route\",\"input\":\"x\",\"temperature\":0.3,"
        + "\"metadata\":{\"k\":\"v\"}}"));
    ObjectNode completion = json("""
        {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-x",
         "choices":[{"index":0,"message":{"role":"assistant","content":"hi","refusal":"no"},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7,
                  "prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":1}}}""");

    ObjectNode response = format.encodeResponse(completion, call);

    assertThat(response.path("created_at").asLong()).isEqualTo(1700000000L);
    assertThat(response.path("model").asString()).isEqualTo("gpt-x");
    assertThat(response.path("temperature").asDouble()).isEqualTo(0.3);
    assertThat(response.path("metadata").path("k").asString()).isEqualTo("v");
    JsonNode content = response.path("output").get(0).path("content");
    assertThat(content.get(0).path("text").asString()).isEqualTo("hi");
    assertThat(content.get(1).path("type").asString()).isEqualTo("refusal");
    assertThat(response.path("usage").toString()).isEqualTo("{\"input_tokens\":5,\"input_tokens_details\":"
        + "{\"cached_tokens\":3},\"output_tokens\":2,\"output_tokens_details\":{\"reasoning_tokens\":1},"
        + "\"total_tokens\":7}");
    for (String required : List.of("id", "object", "created_at", "status", "error", "incomplete_details",
        "instructions", "model", "output", "parallel_tool_calls", "temperature", "tool_choice", "tools", "top_p")) {
      assertThat(response.has(required)).as(required).isTrue();
    }
  }

  @Test
  void endsAStreamThatFailsWithAnErrorEventInSequence() {
    ClientStreamEncoder encoder = format.newStreamEncoder(format.parse(json("{\"model\":\"m\",\"input\":\"x\"}")));
    StringBuilder out = new StringBuilder();

    encoder.onChunk(json("{\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
        + "\"delta\":{\"content\":\"par\"},\"finish_reason\":null}]}"), out);
    encoder.onError(GatewayError.UPSTREAM_ERROR, "fake: the connection closed", out);
    encoder.onEnd(out);

    List<JsonNode> events = new ArrayList<>();
    for (String block : out.toString().split("\n\n")) {
      events.add(Json.mapper().readTree(block.substring(block.indexOf("data: ") + 6)));
    }
    JsonNode last = events.get(events.size() - 1);
    assertThat(last.path("type").asString()).isEqualTo("error");
    assertThat(last.path("code").asString()).isEqualTo("upstream_error");
    assertThat(last.path("message").asString()).contains("connection closed");
    assertThat(last.path("sequence_number").asInt()).isEqualTo(events.size() - 1);
    assertThat(out.toString()).doesNotContain("response.completed");
  }

  @Test
  void streamsARefusalAsItsOwnContentPart() {
    ClientStreamEncoder encoder = format.newStreamEncoder(format.parse(json("{\"model\":\"m\",\"input\":\"x\"}")));
    StringBuilder out = new StringBuilder();

    encoder.onChunk(json("{\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"I can't\"}}]}"), out);
    encoder.onChunk(json("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"), out);
    encoder.onEnd(out);

    assertThat(out.toString()).contains("event: response.refusal.delta", "event: response.refusal.done",
        "\"refusal\":\"I can't\"");
    String completed = out.substring(out.indexOf("event: response.completed"));
    assertThat(completed).contains("\"content\":[{\"type\":\"refusal\",\"refusal\":\"I can't\"}]");
  }

  private static ObjectNode json(String text) {
    return (ObjectNode) Json.mapper().readTree(text);
  }
}
