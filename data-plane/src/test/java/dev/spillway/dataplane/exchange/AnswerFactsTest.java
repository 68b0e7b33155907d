package dev.spillway.dataplane.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.protocol.framing.SseEvent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AnswerFactsTest {

  @Test
  void aNullFinishReasonIsNotAReasonWhateverTheSpacing() {
    assertThat(AnswerFacts.hasFinishReason(bytes("{\"finish_reason\":null}"))).isFalse();
    assertThat(AnswerFacts.hasFinishReason(bytes("{\"finish_reason\" : null}"))).isFalse();
    assertThat(AnswerFacts.hasFinishReason(bytes("{\"delta\":{\"content\":\"x\"}}"))).isFalse();
    assertThat(AnswerFacts.hasFinishReason(bytes("{\"finish_reason\":\"stop\"}"))).isTrue();
    assertThat(AnswerFacts.hasFinishReason(bytes("{\"finish_reason\":\n \"length\"}"))).isTrue();
    assertThat(AnswerFacts.hasFinishReason(bytes("[{\"finish_reason\":null},{\"finish_reason\":\"stop\"}]")))
        .isTrue();
    assertThat(AnswerFacts.hasFinishReason(bytes("{\"finish_reason\""))).isFalse();
  }

  @Test
  void anOpenAiStreamGivesTheFirstChunksModelAndEachChoicesReason() {
    AnswerFacts facts = new AnswerFacts(InboundApi.OPENAI_CHAT);
    facts.nativeEvent(new SseEvent(null, chunk("gpt-4o-2024-08-06", 0, null)));
    facts.nativeEvent(new SseEvent(null, chunk("ignored-later", 1, null)));
    facts.nativeEvent(new SseEvent(null, chunk("gpt-4o-2024-08-06", 1, "\"length\"")));
    facts.nativeEvent(new SseEvent(null, chunk("gpt-4o-2024-08-06", 0, "\"stop\"")));
    facts.nativeEvent(new SseEvent(null, "[DONE]"));

    assertThat(facts.model()).isEqualTo("gpt-4o-2024-08-06");
    assertThat(facts.finishReasons()).containsExactly("stop", "length");
  }

  @Test
  void anAnthropicStreamGivesMessageStartsModelAndTheDeltasStopReason() {
    AnswerFacts facts = new AnswerFacts(InboundApi.ANTHROPIC_MESSAGES);
    facts.nativeEvent(new SseEvent("message_start",
        "{\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5-20250929\",\"stop_reason\":null}}"));
    facts.nativeEvent(new SseEvent("content_block_delta", "{\"delta\":{\"text\":\"stop_reason\"}}"));
    facts.nativeEvent(new SseEvent("message_delta", "{\"delta\":{\"stop_reason\":\"end_turn\"}}"));

    assertThat(facts.model()).isEqualTo("claude-sonnet-4-5-20250929");
    assertThat(facts.finishReasons()).containsExactly("end_turn");
  }

  @Test
  void theResponsesApiStatusStandsInForAReason() {
    AnswerFacts completed = new AnswerFacts(InboundApi.OPENAI_RESPONSES);
    completed.nativeEvent(new SseEvent("response.created", "{\"response\":{\"model\":\"gpt-5-2025-08-07\"}}"));
    completed.nativeEvent(new SseEvent("response.completed",
        "{\"response\":{\"model\":\"gpt-5-2025-08-07\",\"status\":\"completed\"}}"));
    AnswerFacts cut = new AnswerFacts(InboundApi.OPENAI_RESPONSES);
    cut.nativeAnswer(Json.parse(bytes("{\"model\":\"gpt-5\",\"status\":\"incomplete\","
        + "\"incomplete_details\":{\"reason\":\"max_output_tokens\"}}")));

    assertThat(completed.model()).isEqualTo("gpt-5-2025-08-07");
    assertThat(completed.finishReasons()).containsExactly("stop");
    assertThat(cut.finishReasons()).containsExactly("max_output_tokens");
  }

  @Test
  void aResponsesAnswerEndingInAFunctionCallGivesTheSameReasonAsItsOutputMessages() {
    String body = "{\"model\":\"gpt-5\",\"status\":\"completed\",\"output\":[{\"type\":\"function_call\","
        + "\"call_id\":\"c1\",\"name\":\"weather\",\"arguments\":\"{}\"}]}";
    AnswerFacts facts = new AnswerFacts(InboundApi.OPENAI_RESPONSES);
    facts.nativeEvent(new SseEvent("response.completed", "{\"response\":" + body + "}"));

    assertThat(facts.finishReasons()).containsExactly("tool_calls");
    assertThat(ClientAnswers.canonical(InboundApi.OPENAI_RESPONSES, bytes(body)).path("choices").get(0)
        .path("finish_reason").asString()).isEqualTo("tool_calls");
  }

  @Test
  void anUnreadableEventOrAnAnswerWithoutFactsLeavesNothing() {
    AnswerFacts facts = new AnswerFacts(InboundApi.OPENAI_CHAT);
    facts.nativeEvent(new SseEvent(null, "{\"finish_reason\":\"stop\", broken"));
    facts.canonical(Json.parse(bytes("{\"object\":\"list\",\"data\":[]}")));

    assertThat(facts.model()).isNull();
    assertThat(facts.finishReasons()).isEmpty();
  }

  private static String chunk(String model, int index, String finishReason) {
    return "{\"model\":\"" + model + "\",\"choices\":[{\"index\":" + index + ",\"delta\":{},\"finish_reason\":"
        + finishReason + "}]}";
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
