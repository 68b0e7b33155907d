package dev.spillway.dataplane.protocol.bedrock;

import static dev.spillway.dataplane.protocol.ProviderGolden.JSON;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Claude-only request fields and document names, translated without an adapter. */
class BedrockRequestTranslatorTest {

  @Test
  void givesThinkingAndTopKToClaudeModelsOnly() {
    ObjectNode canonical = (ObjectNode) JSON.readTree("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
        + "\"content\":\"hi\"}],\"reasoning_effort\":\"high\",\"x_spillway_top_k\":5}");

    JsonNode claude = BedrockRequestTranslator.translate(canonical, "us.anthropic.claude-sonnet-4-20250514-v1:0")
        .path("additionalModelRequestFields");
    JsonNode llama = BedrockRequestTranslator.translate(canonical, "meta.llama3-70b-instruct-v1:0");

    assertThat(claude.path("thinking").path("type").asString()).isEqualTo("enabled");
    assertThat(claude.path("thinking").path("budget_tokens").asLong()).isEqualTo(16384);
    assertThat(claude.path("top_k").asInt()).isEqualTo(5);
    assertThat(llama.has("additionalModelRequestFields")).isFalse();
  }

  @Test
  void namesDocumentsWithTheCharactersBedrockAllows() {
    ObjectNode canonical = (ObjectNode) JSON.readTree("{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
        + "\"content\":[{\"type\":\"file\",\"file\":{\"filename\":\"Q3_report.v2.pdf\","
        + "\"file_data\":\"data:application/pdf;base64,AAAA\"}},{\"type\":\"file\",\"file\":{"
        + "\"file_data\":\"data:text/csv;base64,AAAA\"}}]}]}");

    JsonNode content = BedrockRequestTranslator.translate(canonical, "amazon.nova-pro-v1:0").path("messages").get(0)
        .path("content");

    assertThat(content.get(0).path("document").path("name").asString()).isEqualTo("Q3 report v2");
    assertThat(content.get(0).path("document").path("format").asString()).isEqualTo("pdf");
    assertThat(content.get(1).path("document").path("name").asString()).isEqualTo("document-2");
    assertThat(content.get(1).path("document").path("format").asString()).isEqualTo("csv");
  }
}
