package dev.spillway.dataplane.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.Requests.PathStyle;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class RequestsTest {
  static ObjectNode json(String text) {
    return (ObjectNode) Json.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void putsTheEnclosingPathInFrontOfANestedFailureInEitherStyle() {
    GatewayException inner = Requests.invalid("image_url.url", "is required");

    GatewayException openAi = Requests.within("messages", 2, PathStyle.OPENAI,
        Requests.within("content", 1, PathStyle.OPENAI, inner));
    GatewayException anthropic = Requests.within("messages", 2, PathStyle.ANTHROPIC, inner);

    assertThat(openAi.param()).isEqualTo("messages[2].content[1].image_url.url");
    assertThat(openAi.getMessage()).isEqualTo("messages[2].content[1].image_url.url: is required");
    assertThat(openAi.error()).isEqualTo(GatewayError.INVALID_REQUEST);
    assertThat(anthropic.getMessage()).isEqualTo("messages.2.image_url.url: is required");
  }

  @Test
  void leavesFailuresWithoutAFieldAsTheyAre() {
    GatewayException other = GatewayError.INVALID_REQUEST.exception("something else");

    assertThat(Requests.within("messages", other)).isSameAs(other);
  }

  @Test
  void treatsNullAsAbsentAndRefusesNumbersOutsideTheirRange() {
    ObjectNode body = json("{\"a\":null,\"b\":5,\"c\":9223372036854775808,\"d\":0.5}");

    assertThat(Requests.optionalInteger(body, "a", 1, 2)).isNull();
    assertThat(Requests.optionalInteger(body, "missing", 1, 2)).isNull();
    assertThat(Requests.optionalInteger(body, "b", 1, 5).asInt()).isEqualTo(5);
    assertThat(Requests.optionalNumber(body, "d", 0, 1).asDouble()).isEqualTo(0.5);
    assertThatThrownBy(() -> Requests.optionalInteger(body, "b", 1, 4)).hasMessage("b: must be an integer from 1 to 4 "
        + "(got 5)");
    assertThatThrownBy(() -> Requests.optionalInteger(body, "c", 0, Long.MAX_VALUE))
        .hasMessage("c: must be an integer from 0 to 9223372036854775807 (got 9223372036854775808)");
    assertThatThrownBy(() -> Requests.optionalNumber(body, "b", -0.5, 1.5))
        .hasMessage("b: must be a number from -0.5 to 1.5 (got 5)");
  }

  @Test
  void quotesLongValuesShort() {
    assertThat(Requests.quote("x".repeat(100))).hasSize(64 + 3).endsWith("…\"");
    assertThat(Requests.oneOf("a", "b", "c")).isEqualTo("a, b or c");
  }

  @Test
  void knowsOpenAiToolNames() {
    assertThat(Requests.isToolName("get_weather-2")).isTrue();
    assertThat(Requests.isToolName("a".repeat(64))).isTrue();
    assertThat(Requests.isToolName("a".repeat(65))).isFalse();
    assertThat(Requests.isToolName("")).isFalse();
    assertThat(Requests.isToolName("get.weather")).isFalse();
    assertThat(Requests.isToolName("héllo")).isFalse();
  }
}
