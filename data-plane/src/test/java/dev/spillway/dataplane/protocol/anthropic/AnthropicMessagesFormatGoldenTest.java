package dev.spillway.dataplane.protocol.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.GoldenFiles;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code /v1/messages} client format's two translations against golden files: Anthropic request → canonical
 * request ({@code golden/anthropic/messages-to-canonical}) and canonical completion → Anthropic message
 * ({@code golden/anthropic/canonical-to-message}).
 */
class AnthropicMessagesFormatGoldenTest {
  static Stream<Arguments> requests() {
    return GoldenFiles.cases("/golden/anthropic/messages-to-canonical");
  }

  static Stream<Arguments> responses() {
    return GoldenFiles.cases("/golden/anthropic/canonical-to-message");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requests")
  void translatesAnthropicRequestsToCanonicalRequests(String name, ObjectNode input, ObjectNode expected) {
    ObjectNode actual = AnthropicToCanonical.translate(input, true);

    assertThat(GoldenFiles.normalized(actual)).as(name).isEqualTo(GoldenFiles.normalized(expected));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("responses")
  void encodesCanonicalCompletionsAsAnthropicMessages(String name, ObjectNode input, ObjectNode expected) {
    ObjectNode actual = AnthropicMessageEncoder.encode(input, "route-model");

    assertThat(GoldenFiles.normalized(actual)).as(name).isEqualTo(GoldenFiles.normalized(expected));
  }
}
