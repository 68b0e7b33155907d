package dev.spillway.dataplane.protocol.openai;

import dev.spillway.dataplane.protocol.ChatCall;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.ClientStreamEncoder;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

class OpenAiCompletionsFormatTest {
  private final OpenAiCompletionsFormat format = new OpenAiCompletionsFormat();

  @Test
  void carriesSharedSamplingFieldsAndDropsWhatChatLacks() {
    ChatCall call = format.parse(json("""
        {"model":"m","prompt":"p","max_tokens":9,"n":2,"stop":"x","seed":1,"best_of":1,"temperature":0.5,
         "stream":true,"stream_options":{"include_usage":true}}"""));

    ObjectNode canonical = call.canonical();
    assertThat(canonical.path("messages").toString()).isEqualTo("[{\"role\":\"user\",\"content\":\"p\"}]");
    assertThat(canonical.path("max_tokens").asInt()).isEqualTo(9);
    assertThat(canonical.path("n").asInt()).isEqualTo(2);
    assertThat(canonical.path("stop").asString()).isEqualTo("x");
    assertThat(canonical.has("best_of")).isFalse();
    assertThat(canonical.has("prompt")).isFalse();
    assertThat(canonical.path("stream_options").path("include_usage").asBoolean()).isTrue();
    assertThat(call.includeUsage()).isTrue();
    assertThat(call.nativeOnlyReason()).isNull();
  }

  @Test
  void encodesEveryChoiceAsTextWithTheLegacyIdPrefix() {
    ChatCall call = format.parse(json("{\"model\":\"m\",\"prompt\":\"p\",\"n\":2}"));
    ObjectNode completion = json("""
        {"id":"chatcmpl-abc","created":5,"model":"gpt",
         "choices":[{"index":0,"message":{"role":"assistant","content":"one"},"finish_reason":"stop"},
                    {"index":1,"message":{"role":"assistant","content":"two"},"finish_reason":"length"}],
         "usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}""");

    ObjectNode answer = format.encodeResponse(completion, call);

    assertThat(answer.path("id").asString()).isEqualTo("cmpl-abc");
    assertThat(answer.path("object").asString()).isEqualTo("text_completion");
    assertThat(answer.path("choices").toString()).isEqualTo("[{\"text\":\"one\",\"index\":0,\"logprobs\":null,"
        + "\"finish_reason\":\"stop\"},{\"text\":\"two\",\"index\":1,\"logprobs\":null,\"finish_reason\":\"length\"}]");
    assertThat(answer.path("usage").path("total_tokens").asInt()).isEqualTo(3);
  }

  @Test
  void streamsTextChunksSkippingRoleOnlyDeltasAndUsageUnlessAsked() {
    ClientStreamEncoder encoder = format.newStreamEncoder(format.parse(json("{\"model\":\"m\",\"prompt\":\"p\"}")));
    StringBuilder out = new StringBuilder();

    encoder.onChunk(json("{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
        + "\"content\":\"\"}}]}"), out);
    encoder.onChunk(json("{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}"), out);
    encoder.onChunk(json("{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},"
        + "\"finish_reason\":\"tool_calls\"}]}"), out);
    encoder.onChunk(json("{\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":1}}"), out);
    encoder.onEnd(out);

    String[] events = out.toString().split("\n\n");
    assertThat(events).hasSize(3);
    JsonNode text = Json.mapper().readTree(events[0].substring(6));
    assertThat(text.path("id").asString()).isEqualTo("cmpl-1");
    assertThat(text.path("choices").get(0).path("text").asString()).isEqualTo("hi");
    assertThat(events[1]).contains("\"finish_reason\":\"stop\"");
    assertThat(events[2]).isEqualTo("data: [DONE]");
  }

  private static ObjectNode json(String text) {
    return (ObjectNode) Json.mapper().readTree(text);
  }
}
