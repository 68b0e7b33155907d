package dev.spillway.dataplane.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.protocol.InboundApi;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

class ClientAnswersTest {
  @Test
  void aResponsesAnswerGivesItsTextAndFunctionCallsAsOneChoice() {
    ObjectNode completion = ClientAnswers.canonical(InboundApi.OPENAI_RESPONSES, bytes("""
        {"object":"response","status":"completed","output":[
          {"type":"reasoning","summary":[]},
          {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Let me "},
                                                          {"type":"output_text","text":"check."}]},
          {"type":"function_call","call_id":"call_9","name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"}]}"""));

    var choice = completion.path("choices").get(0);
    assertThat(choice.path("message").path("content").asString()).isEqualTo("Let me check.");
    assertThat(choice.path("message").path("tool_calls").get(0).path("id").asString()).isEqualTo("call_9");
    assertThat(choice.path("message").path("tool_calls").get(0).path("function").path("arguments").asString())
        .isEqualTo("{\"city\":\"Paris\"}");
    assertThat(choice.path("finish_reason").asString()).isEqualTo("tool_calls");
  }

  @Test
  void anIncompleteResponsesAnswerGivesItsReasonAndCompletionsKeepTheirChoices() {
    ObjectNode cut = ClientAnswers.canonical(InboundApi.OPENAI_RESPONSES, bytes("""
        {"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[]}"""));
    ObjectNode completions = ClientAnswers.canonical(InboundApi.OPENAI_COMPLETIONS, bytes("""
        {"object":"text_completion","choices":[{"index":0,"text":"a","finish_reason":"stop"},
                                               {"index":1,"text":"b","finish_reason":"length"}]}"""));

    assertThat(cut.path("choices").get(0).path("finish_reason").asString()).isEqualTo("max_output_tokens");
    assertThat(completions.path("choices")).hasSize(2);
    assertThat(completions.path("choices").get(1).path("message").path("content").asString()).isEqualTo("b");
    assertThat(completions.path("choices").get(1).path("finish_reason").asString()).isEqualTo("length");
  }

  @Test
  void anUnreadableAnswerOrAnotherApiGivesNothing() {
    assertThat(ClientAnswers.canonical(InboundApi.OPENAI_RESPONSES, bytes("{not json"))).isNull();
    assertThat(ClientAnswers.canonical(InboundApi.OPENAI_CHAT, bytes("{}"))).isNull();
    assertThat(ClientAnswers.canonical(InboundApi.OPENAI_RESPONSES, null)).isNull();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
