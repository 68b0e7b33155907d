package dev.spillway.dataplane.protocol.canonical;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.json.Json;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/** A completion replayed as a stream and folded back is the same answer: what the cache stores and serves. */
class CompletionReplayTest {
  static ObjectNode completion(String content, String finish) {
    ObjectNode completion = Json.object();
    completion.put("id", "chatcmpl-1").put("object", "chat.completion").put("created", 1).put("model", "gpt-4o");
    ObjectNode choice = completion.putArray("choices").addObject();
    choice.put("index", 0).put("finish_reason", finish);
    choice.putObject("message").put("role", "assistant").put("content", content);
    completion.set("usage", CanonicalChunks.openAiUsage(12, 34, null, null));
    return completion;
  }

  static ObjectNode roundTrip(ObjectNode completion) {
    CompletionAccumulator accumulator = new CompletionAccumulator();
    CompletionReplay.chunks(completion, "chatcmpl-2", 2).forEach(accumulator::add);
    return accumulator.completion();
  }

  @Property(tries = 200)
  void anyTextSurvivesTheRoundTrip(@ForAll @StringLength(max = 500) String content) {
    ObjectNode back = roundTrip(completion(content, "stop"));

    assertThat(back.path("choices").path(0).path("message").path("content").asString()).isEqualTo(content);
    assertThat(back.path("choices").path(0).path("finish_reason").asString()).isEqualTo("stop");
  }

  @Test
  void longTextComesInPiecesNeverSplittingASurrogatePair() {
    String content = "😀".repeat(100);
    List<ObjectNode> chunks = CompletionReplay.chunks(completion(content, "length"), "id", 2);

    assertThat(chunks.size()).isGreaterThan(3);
    for (ObjectNode chunk : chunks) {
      String piece = chunk.path("choices").path(0).path("delta").path("content").asString("");
      assertThat(piece.isEmpty() || !Character.isHighSurrogate(piece.charAt(piece.length() - 1))).isTrue();
    }
    ObjectNode back = roundTrip(completion(content, "length"));
    assertThat(back.path("choices").path(0).path("message").path("content").asString()).isEqualTo(content);
    assertThat(back.path("choices").path(0).path("finish_reason").asString()).isEqualTo("length");
    assertThat(back.path("usage").path("completion_tokens").asInt()).isEqualTo(34);
    assertThat(back.path("model").asString()).isEqualTo("gpt-4o");
  }

  @Test
  void toolCallsSurviveTheRoundTrip() {
    ObjectNode completion = completion(null, "tool_calls");
    ObjectNode message = (ObjectNode) completion.path("choices").path(0).path("message");
    message.putNull("content");
    ObjectNode call = message.putArray("tool_calls").addObject();
    call.put("id", "call_1").put("type", "function");
    call.putObject("function").put("name", "weather").put("arguments", "{\"city\":\"" + "x".repeat(150) + "\"}");

    ObjectNode back = roundTrip(completion);

    ObjectNode backMessage = (ObjectNode) back.path("choices").path(0).path("message");
    assertThat(backMessage.path("content").isNull()).isTrue();
    assertThat(backMessage.path("tool_calls").path(0).path("id").asString()).isEqualTo("call_1");
    assertThat(backMessage.path("tool_calls").path(0).path("function").path("name").asString()).isEqualTo("weather");
    assertThat(backMessage.path("tool_calls").path(0).path("function").path("arguments").asString())
        .isEqualTo(call.path("function").path("arguments").asString());
    assertThat(back.path("choices").path(0).path("finish_reason").asString()).isEqualTo("tool_calls");
  }
}
