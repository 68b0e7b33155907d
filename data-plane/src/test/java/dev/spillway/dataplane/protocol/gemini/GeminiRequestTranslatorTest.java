package dev.spillway.dataplane.protocol.gemini;

import static dev.spillway.dataplane.protocol.ProviderGolden.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.dataplane.error.GatewayException;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Thinking budgets and the embeddings request, translated without an adapter. */
class GeminiRequestTranslatorTest {

  private static ObjectNode hi() {
    return (ObjectNode) JSON.readTree("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  }

  private static JsonNode thinkingConfig(ObjectNode canonical) {
    return GeminiRequestTranslator.translate(canonical, "gemini-2.5-flash").path("generationConfig")
        .path("thinkingConfig");
  }

  @Test
  void turnsReasoningEffortIntoAThinkingBudget() {
    assertThat(thinkingConfig(hi().put("reasoning_effort", "minimal")).path("thinkingBudget").asInt())
        .isEqualTo(1024);
    assertThat(thinkingConfig(hi().put("reasoning_effort", "none")).path("thinkingBudget").asInt()).isZero();
    assertThat(thinkingConfig(hi()).isMissingNode()).isTrue();
  }

  @Test
  void letsTheThinkingExtensionWinOverReasoningEffort() {
    ObjectNode disabled = hi().put("reasoning_effort", "high");
    disabled.putObject("x_spillway_thinking").put("type", "disabled");
    ObjectNode enabled = hi();
    enabled.putObject("x_spillway_thinking").put("type", "enabled").put("budget_tokens", 512);

    assertThat(thinkingConfig(disabled).path("thinkingBudget").asInt()).isZero();
    assertThat(thinkingConfig(disabled).has("includeThoughts")).isFalse();
    assertThat(thinkingConfig(enabled).path("thinkingBudget").asInt()).isEqualTo(512);
    assertThat(thinkingConfig(enabled).path("includeThoughts").asBoolean()).isTrue();
  }

  @Test
  void embedsEachInputAsOneRequestAndLeavesDimensionsOutWhenNotAsked() {
    ObjectNode body = GeminiRequestTranslator.embeddings("models/e",
        GeminiRequestTranslator.embeddingInputs(JSON.readTree("\"one\"")),
        GeminiRequestTranslator.embeddingDimensions(null));

    assertThat(body.path("requests")).hasSize(1);
    assertThat(body.path("requests").get(0).path("model").asString()).isEqualTo("models/e");
    assertThat(body.path("requests").get(0).has("outputDimensionality")).isFalse();
    assertThat(GeminiRequestTranslator.embeddingInputs(JSON.readTree("[\"a\",\"b\"]"))).isEqualTo(List.of("a", "b"));
  }

  @Test
  void refusesEmptyInputsAndNonPositiveDimensionsNamingTheField() {
    assertThatThrownBy(() -> GeminiRequestTranslator.embeddingInputs(JSON.readTree("[]")))
        .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.param()).isEqualTo("input"));
    assertThatThrownBy(() -> GeminiRequestTranslator.embeddingDimensions(JSON.readTree("0")))
        .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.param()).isEqualTo("dimensions"));
  }
}
