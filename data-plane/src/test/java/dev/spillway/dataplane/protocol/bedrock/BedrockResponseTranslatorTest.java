package dev.spillway.dataplane.protocol.bedrock;

import static dev.spillway.dataplane.protocol.ProviderGolden.JSON;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/** Converse stop reasons and usage in OpenAI's terms, and the completion's given id and time. */
class BedrockResponseTranslatorTest {

  @Test
  void countsCacheReadsAndWritesInPromptTokens() {
    ObjectNode usage = BedrockResponseTranslator.usage(JSON.readTree("{\"inputTokens\":10,\"outputTokens\":4,"
        + "\"cacheReadInputTokens\":100,\"cacheWriteInputTokens\":20}"));
    ObjectNode uncached = BedrockResponseTranslator.usage(JSON.readTree("{\"inputTokens\":10,\"outputTokens\":4}"));

    assertThat(usage.path("prompt_tokens").asLong()).isEqualTo(130);
    assertThat(usage.path("total_tokens").asLong()).isEqualTo(134);
    assertThat(usage.path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(100);
    assertThat(uncached.has("prompt_tokens_details")).isFalse();
  }

  @Test
  void finishesWithToolCallsOnlyWhenTheAnswerHasSome() {
    assertThat(BedrockResponseTranslator.finishReason("tool_use", true)).isEqualTo("tool_calls");
    // The structured-output tool's call is the answer's text, not a tool call.
    assertThat(BedrockResponseTranslator.finishReason("tool_use", false)).isEqualTo("stop");
    assertThat(BedrockResponseTranslator.finishReason("model_context_window_exceeded", false)).isEqualTo("length");
    assertThat(BedrockResponseTranslator.finishReason("content_filtered", false)).isEqualTo("content_filter");
  }

  @Test
  void usesTheGivenIdAndCreationTime() {
    ObjectNode completion = BedrockResponseTranslator.toCanonical(JSON.readTree("{\"output\":{\"message\":"
        + "{\"role\":\"assistant\",\"content\":[{\"text\":\"hi\"}]}},\"stopReason\":\"end_turn\","
        + "\"usage\":{\"inputTokens\":1,\"outputTokens\":1}}"), "m", "chatcmpl-given", 42);

    assertThat(completion.path("id").asString()).isEqualTo("chatcmpl-given");
    assertThat(completion.path("created").asLong()).isEqualTo(42);
    assertThat(completion.path("model").asString()).isEqualTo("m");
    assertThat(completion.path("choices").get(0).path("message").path("content").asString()).isEqualTo("hi");
  }
}
