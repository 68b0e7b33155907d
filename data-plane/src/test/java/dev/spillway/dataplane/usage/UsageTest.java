package dev.spillway.dataplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.json.Json;
import org.junit.jupiter.api.Test;

class UsageTest {
  @Test
  void readsCachedAndReasoningTokensWhereOpenAiReportsThem() {
    Usage usage = Usage.fromOpenAi(Json.parse(("{\"prompt_tokens\":100,\"completion_tokens\":50,"
        + "\"prompt_tokens_details\":{\"cached_tokens\":40},\"completion_tokens_details\":{\"reasoning_tokens\":30}}")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));

    assertThat(usage).isEqualTo(new Usage(100, 50, 40, 30));
  }

  @Test
  void missingDetailsCountZero() {
    Usage usage = Usage.fromOpenAi(Json.parse("{\"prompt_tokens\":7,\"completion_tokens\":3}"
        .getBytes(java.nio.charset.StandardCharsets.UTF_8)));

    assertThat(usage).isEqualTo(new Usage(7, 3, 0));
    assertThat(usage.reasoningTokens()).isZero();
  }
}
