package dev.spillway.dataplane.protocol.anthropic;

import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.InboundApi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.json.Json;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/** {@code /v1/messages} requests: the call it builds, and 400s that name the field the way Anthropic does. */
class AnthropicMessagesFormatTest {
  final AnthropicMessagesFormat format = new AnthropicMessagesFormat();

  static ObjectNode json(String text) {
    return (ObjectNode) Json.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void buildsACallThatAlwaysReportsUsageAndCarriesTheClientsHeaders() {
    ObjectNode body = json("{\"model\":\"sonnet\",\"max_tokens\":10,\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

    ChatCall call = format.parse(body, new DefaultHttpHeaders().add("anthropic-version", "2023-06-01")
        .add("anthropic-beta", "a, b"));

    assertThat(call.api()).isEqualTo(InboundApi.ANTHROPIC_MESSAGES);
    assertThat(call.stream()).isTrue();
    assertThat(call.includeUsage()).isTrue();
    assertThat(call.requestedModel()).isEqualTo("sonnet");
    assertThat(call.original()).isSameAs(body);
    assertThat(call.nativeOnlyReason()).isNull();
    assertThat(call.canonical().path("x_spillway_anthropic_version").asString()).isEqualTo("2023-06-01");
    assertThat(call.canonical().path("x_spillway_anthropic_beta").toString()).isEqualTo("[\"a\",\"b\"]");
    assertThat(format.parse(body.deepCopy()).canonical().has("x_spillway_anthropic_version")).isFalse();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|model|model: is required",
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|max_tokens|max_tokens: Field required",
      "{\"model\":\"m\",\"max_tokens\":0,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|max_tokens|at least 1",
      "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[]}|messages|messages: must be a non-empty array",
      "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"content\":\"x\"}]}|messages.0.role|Field required",
      "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\"}]}|messages.0.content|Field required",
      "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":5}]}|messages.0.content|string or an array",
      "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}]}|messages.0.content.0|with a type",
      "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\"}]}]}|messages.0.content.0.tool_use_id|Field required",
      "{\"model\":\"m\",\"max_tokens\":1,\"stream\":\"yes\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|stream|true or false",
      "{\"model\":\"m\",\"max_tokens\":1,\"system\":7,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|system|text blocks",
      "{\"model\":\"m\",\"max_tokens\":1,\"tools\":[{\"name\":\"t\"}],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|tools.0.input_schema|Field required",
      "{\"model\":\"m\",\"max_tokens\":1,\"tool_choice\":{\"type\":\"maybe\"},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|tool_choice.type|auto, any, tool or none",
      "{\"model\":\"m\",\"max_tokens\":1,\"temperature\":\"hot\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|temperature|a number",
      "{\"model\":\"m\",\"max_tokens\":1,\"stop_sequences\":[1],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}|stop_sequences.0|a string"})
  void refusesMalformedRequestsNamingTheField(String body, String field, String message) {
    assertThatThrownBy(() -> format.parse(json(body), new DefaultHttpHeaders()))
        .isInstanceOfSatisfying(GatewayException.class, e -> {
          assertThat(e.error()).isEqualTo(GatewayError.INVALID_REQUEST);
          assertThat(e.getMessage()).startsWith(field + ": ").contains(message);
        });
  }

  @Test
  void countTokensNeedsNoMaxTokensAndIsNeverAStream() {
    ChatCall call = AnthropicMessagesFormat.countTokensCall(json("{\"model\":\"m\",\"stream\":true,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), new DefaultHttpHeaders());

    assertThat(call.api()).isEqualTo(InboundApi.ANTHROPIC_COUNT_TOKENS);
    assertThat(call.stream()).isFalse();
    assertThat(call.canonical().has("stream")).isFalse();
    assertThat(call.canonical().has("max_tokens")).isFalse();
  }
}
