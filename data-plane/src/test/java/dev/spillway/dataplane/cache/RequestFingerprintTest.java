package dev.spillway.dataplane.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.json.Json;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class RequestFingerprintTest {
  static ObjectNode json(String text) {
    return (ObjectNode) Json.parse(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  static RequestFingerprint of(String canonical) {
    return RequestFingerprint.of(json(canonical), "gpt");
  }

  @Test
  void keyOrderWhitespaceAndNumberSpellingDoNotChangeTheHash() {
    RequestFingerprint a = of("{\"model\":\"gpt\",\"temperature\":1,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    RequestFingerprint b = of("{ \"messages\" : [ { \"content\" : \"hi\", \"role\" : \"user\" } ],\n"
        + " \"temperature\" : 1.00, \"model\" : \"gpt\" }");
    RequestFingerprint c = of("{\"model\":\"gpt\",\"temperature\":1e0,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

    assertThat(b.requestHash()).isEqualTo(a.requestHash());
    assertThat(c.requestHash()).isEqualTo(a.requestHash());
  }

  @Test
  void streamingAndEndUserFieldsDoNotChangeTheAnswerSoNotTheHash() {
    RequestFingerprint plain = of("{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    RequestFingerprint streamed = of("{\"model\":\"gpt\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        + "\"user\":\"u-1\",\"metadata\":{\"a\":\"b\"},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

    assertThat(streamed.requestHash()).isEqualTo(plain.requestHash());
  }

  @Test
  void everythingThatShapesTheAnswerChangesTheHash() {
    String base = "{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]%s}";
    RequestFingerprint plain = of(base.formatted(""));

    assertThat(of(base.formatted(",\"temperature\":0.5")).requestHash()).isNotEqualTo(plain.requestHash());
    assertThat(of(base.formatted(",\"max_tokens\":5")).requestHash()).isNotEqualTo(plain.requestHash());
    assertThat(of(base.formatted(",\"tools\":[]")).requestHash()).isNotEqualTo(plain.requestHash());
    assertThat(of(base.replace("hi", "hi!").formatted("")).requestHash()).isNotEqualTo(plain.requestHash());
    assertThat(RequestFingerprint.of(json(base.formatted("")), "other-route").requestHash())
        .isNotEqualTo(plain.requestHash());
    // A string "1" is not the number 1.
    assertThat(of(base.formatted(",\"seed\":1")).requestHash())
        .isNotEqualTo(of(base.formatted(",\"seed\":\"1\"")).requestHash());
  }

  @Test
  void theContextHashLeavesOutOnlyTheLastUserMessage() {
    String template = "{\"model\":\"gpt\",\"messages\":[{\"role\":\"system\",\"content\":\"%s\"},"
        + "{\"role\":\"user\",\"content\":\"%s\"}]}";
    RequestFingerprint a = of(template.formatted("Be brief.", "How do I reset my password?"));
    RequestFingerprint b = of(template.formatted("Be brief.", "I forgot my password"));
    RequestFingerprint otherSystem = of(template.formatted("Answer in French.", "How do I reset my password?"));

    assertThat(a.contextHash()).isEqualTo(b.contextHash());
    assertThat(a.requestHash()).isNotEqualTo(b.requestHash());
    assertThat(otherSystem.contextHash()).isNotEqualTo(a.contextHash());
    assertThat(a.lastUserText()).isEqualTo("How do I reset my password?");
    assertThat(a.normalisedPrompt()).isEqualTo("how do i reset my password");
  }

  @Test
  void aLastMessageThatIsNotAUsersTextHasNoSemanticPrompt() {
    assertThat(of("{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
        + "{\"role\":\"assistant\",\"content\":\"hello\"}]}").lastUserText()).isNull();
    assertThat(of("{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
        + "\"image_url\":{\"url\":\"data:,\"}}]}]}").lastUserText()).isNull();
    assertThat(of("{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        + "\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}]}").lastUserText()).isEqualTo("a\nb");
    assertThat(of("{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"?!\"}]}").normalisedPrompt())
        .isNull();
  }
}
