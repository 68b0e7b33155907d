package dev.spillway.controlplane.requestlog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class ConversationTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void readsAnOpenAiChatWithPartsAndToolCalls() {
    List<Conversation.Turn> turns = Conversation.of("chat", json("""
        {"messages":[{"role":"developer","content":"be kind"},
          {"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"x"}}]},
          {"role":"tool","content":"42"}]}"""), json("""
        {"choices":[{"message":{"role":"assistant","content":null,
          "tool_calls":[{"function":{"name":"lookup","arguments":"{}"}}]}}]}"""));

    assertThat(turns).containsExactly(new Conversation.Turn("system", "be kind"),
        new Conversation.Turn("user", "look\n[image_url]"), new Conversation.Turn("tool", "42"),
        new Conversation.Turn("assistant", "[tool call: lookup]"));
  }

  @Test
  void readsAnAnthropicMessagesExchangeWithBlocks() {
    List<Conversation.Turn> turns = Conversation.of("messages", json("""
        {"system":[{"type":"text","text":"terse"}],"messages":[{"role":"user","content":"hi"},
          {"role":"assistant","content":[{"type":"tool_use","name":"calc","input":{}}]},
          {"role":"user","content":[{"type":"tool_result","content":"4"}]}]}"""), json("""
        {"role":"assistant","content":[{"type":"thinking","thinking":"…"},{"type":"text","text":"Four."}]}"""));

    assertThat(turns).containsExactly(new Conversation.Turn("system", "terse"), new Conversation.Turn("user", "hi"),
        new Conversation.Turn("assistant", "[tool call: calc]"), new Conversation.Turn("user", "[tool result] 4"),
        new Conversation.Turn("assistant", "[thinking]\nFour."));
  }

  @Test
  void readsResponsesCompletionsAndEmbeddings() {
    assertThat(Conversation.of("responses", json("""
        {"instructions":"sys","input":"q"}"""), json("""
        {"output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"a"}]}]}""")))
        .containsExactly(new Conversation.Turn("system", "sys"), new Conversation.Turn("user", "q"),
            new Conversation.Turn("assistant", "a"));
    assertThat(Conversation.of("completions", json("{\"prompt\":\"p\"}"), json("{\"choices\":[{\"text\":\"c\"}]}")))
        .containsExactly(new Conversation.Turn("user", "p"), new Conversation.Turn("assistant", "c"));
    assertThat(Conversation.of("embeddings", json("{\"input\":[\"a\",\"b\"]}"), json("{\"data\":[]}")))
        .containsExactly(new Conversation.Turn("user", "a"), new Conversation.Turn("user", "b"));
  }

  @Test
  void nothingStoredIsNoConversation() {
    assertThat(Conversation.of("chat", null, null)).isEmpty();
    assertThat(Conversation.of("chat", JSON.getNodeFactory().stringNode("{\"mess"), null)).isEmpty();
  }

  private static JsonNode json(String text) {
    return JSON.readTree(text);
  }
}
