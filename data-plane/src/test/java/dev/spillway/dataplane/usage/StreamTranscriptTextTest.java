package dev.spillway.dataplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.protocol.StreamTranscript;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The generated text of a stream, in each API's shape: what a client cut short is charged for. */
class StreamTranscriptTextTest {
  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void openAiChatContentReasoningAndToolArguments() {
    StreamTranscript t = new StreamTranscript();
    t.addEvent(utf8("{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}"));
    t.addEvent(utf8("{\"choices\":[{\"delta\":{\"reasoning_content\":\"think \"}}]}"));
    t.addEvent(utf8("{\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}"));
    t.addEvent(utf8("{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}"));
    t.addEvent(utf8("[DONE]"));

    assertThat(t.text()).isEqualTo("think Hellof{}");
  }

  @Test
  void anthropicDeltasAndResponsesApiDeltas() {
    StreamTranscript t = new StreamTranscript();
    t.addEvent(utf8("{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}"));
    t.addEvent(utf8("{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\"\"}}"));
    t.addEvent(utf8("{\"type\":\"response.output_text.delta\",\"delta\":\" there\"}"));
    t.addEvent(utf8("not json"));

    assertThat(t.text()).isEqualTo("Hi{\"a\" there");
  }

  @Test
  void pastItsBoundItCountsInsteadOfKeeping() {
    StreamTranscript t = new StreamTranscript();
    byte[] event = utf8("{\"choices\":[{\"delta\":{\"content\":\"" + "x".repeat(1000) + "\"}}]}");
    for (int i = 0; i < 2000; i++) {
      t.addEvent(event);
    }

    assertThat(t.text().length()).isLessThan(2000 * 1000);
    assertThat(t.uncountedTokens()).isPositive();
    assertThat(t.approximateTokens()).isEqualTo(2000);
  }
}
