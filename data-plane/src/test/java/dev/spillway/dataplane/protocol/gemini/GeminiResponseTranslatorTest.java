package dev.spillway.dataplane.protocol.gemini;

import static dev.spillway.dataplane.protocol.ProviderGolden.JSON;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Gemini's finish reasons, usage metadata and signed function calls in OpenAI's terms. */
class GeminiResponseTranslatorTest {

  @Test
  void countsToolUsePromptTokensAsInputAndThoughtsAsOutput() {
    ObjectNode usage = GeminiResponseTranslator.usage(JSON.readTree("{\"promptTokenCount\":10,"
        + "\"toolUsePromptTokenCount\":2,\"candidatesTokenCount\":5,\"thoughtsTokenCount\":3,"
        + "\"cachedContentTokenCount\":4}"));

    assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(12);
    assertThat(usage.path("completion_tokens").asLong()).isEqualTo(8);
    assertThat(usage.path("total_tokens").asLong()).isEqualTo(20);
    assertThat(usage.path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(4);
    assertThat(usage.path("completion_tokens_details").path("reasoning_tokens").asLong()).isEqualTo(3);
  }

  @Test
  void leavesOutTheDetailsGeminiDidNotCount() {
    ObjectNode usage = GeminiResponseTranslator.usage(JSON.readTree("{\"promptTokenCount\":7,"
        + "\"candidatesTokenCount\":1}"));

    assertThat(usage.has("prompt_tokens_details")).isFalse();
    assertThat(usage.has("completion_tokens_details")).isFalse();
    assertThat(usage.path("total_tokens").asLong()).isEqualTo(8);
  }

  @Test
  void finishesWithToolCallsOnlyWhenNothingElseEndedTheCandidate() {
    assertThat(GeminiResponseTranslator.finishReason("STOP", true)).isEqualTo("tool_calls");
    assertThat(GeminiResponseTranslator.finishReason("STOP", false)).isEqualTo("stop");
    assertThat(GeminiResponseTranslator.finishReason("MAX_TOKENS", true)).isEqualTo("length");
    assertThat(GeminiResponseTranslator.finishReason("SPII", false)).isEqualTo("content_filter");
    assertThat(GeminiResponseTranslator.finishReason("", false)).isEqualTo("stop");
  }

  @Test
  void appendsTheThoughtSignatureToTheGivenIdForTheRequestTranslatorToReadBack() {
    JsonNode signed = JSON.readTree("{\"functionCall\":{\"name\":\"f\",\"args\":{\"a\":1}},"
        + "\"thoughtSignature\":\"AbC+/9==\"}");
    JsonNode unsigned = JSON.readTree("{\"functionCall\":{\"name\":\"f\"}}");

    ObjectNode call = GeminiResponseTranslator.toolCall(signed, 2, "call_x");
    ObjectNode plain = GeminiResponseTranslator.toolCall(unsigned, -1, "call_y");

    assertThat(call.path("id").asString()).isEqualTo("call_x__ts_AbC-_9");
    assertThat(call.path("index").asInt()).isEqualTo(2);
    assertThat(call.path("function").path("arguments").asString()).isEqualTo("{\"a\":1}");
    assertThat(GeminiRequestTranslator.signatureOf(call.path("id").asString())).isEqualTo("AbC+/9==");
    assertThat(plain.path("id").asString()).isEqualTo("call_y");
    assertThat(plain.has("index")).isFalse();
    assertThat(plain.path("function").path("arguments").asString()).isEqualTo("{}");
  }
}
