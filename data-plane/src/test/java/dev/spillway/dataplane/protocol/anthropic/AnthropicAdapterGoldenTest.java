package dev.spillway.dataplane.protocol.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.GoldenFiles;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code anthropic} adapter's two translations against golden files: canonical request → Anthropic request
 * ({@code golden/anthropic/openai-to-anthropic}) and Anthropic message → canonical completion
 * ({@code golden/anthropic/anthropic-to-openai}).
 */
class AnthropicAdapterGoldenTest {
  static Stream<Arguments> requests() {
    return GoldenFiles.cases("/golden/anthropic/openai-to-anthropic");
  }

  static Stream<Arguments> responses() {
    return GoldenFiles.cases("/golden/anthropic/anthropic-to-openai");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requests")
  void translatesCanonicalRequestsToAnthropicRequests(String name, ObjectNode input, ObjectNode expected) {
    ObjectNode actual = AnthropicRequestTranslator.translate(input, "claude-sonnet-4-5",
        input.path("stream").asBoolean(false), AnthropicRequestTranslator.DEFAULT_MAX_TOKENS);

    assertThat(GoldenFiles.normalized(actual)).as(name).isEqualTo(GoldenFiles.normalized(expected));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("responses")
  void translatesAnthropicMessagesToCanonicalCompletions(String name, ObjectNode input, ObjectNode expected) {
    ObjectNode actual = AnthropicResponseTranslator.toCanonical(input, "fallback-model");

    assertThat(actual.path("created").asLong()).as("created").isPositive();
    actual.remove("created");
    assertThat(GoldenFiles.normalized(actual)).as(name).isEqualTo(GoldenFiles.normalized(expected));
  }
}
