package dev.spillway.dataplane.protocol.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.testsupport.NoLeaksExtension;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Canonical chunks → Anthropic's event sequence: block indexes, block switches, the closing events, errors. */
@ExtendWith(NoLeaksExtension.class)
class AnthropicStreamEncoderTest {
  static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void writesATextStreamAsAnthropicsExactEventSequence() {
    Events events = encode(
        chunk("{\"role\":\"assistant\",\"content\":\"\"}", null),
        chunk("{\"content\":\"Hello\"}", null),
        chunk("{\"content\":\" world\"}", null),
        chunk("{}", "stop"),
        usageChunk(30, 5, 10));

    assertThat(events.types()).containsExactly("message_start", "content_block_start", "content_block_delta",
        "content_block_delta", "content_block_stop", "message_delta", "message_stop");
    JsonNode start = events.data(0).path("message");
    assertThat(start.path("id").asString()).isEqualTo("msg_chatcmpl-1");
    assertThat(start.path("type").asString()).isEqualTo("message");
    assertThat(start.path("role").asString()).isEqualTo("assistant");
    assertThat(start.path("model").asString()).isEqualTo("gpt-x");
    assertThat(start.path("content").isEmpty()).isTrue();
    assertThat(start.path("stop_reason").isNull()).isTrue();
    assertThat(start.path("usage").path("output_tokens").isNumber()).isTrue();
    assertThat(events.data(1).path("content_block").toString()).isEqualTo("{\"type\":\"text\",\"text\":\"\"}");
    assertThat(events.data(2).path("delta").toString()).isEqualTo("{\"type\":\"text_delta\",\"text\":\"Hello\"}");
    JsonNode delta = events.data(5);
    assertThat(delta.path("delta").path("stop_reason").asString()).isEqualTo("end_turn");
    assertThat(delta.path("delta").path("stop_sequence").isNull()).isTrue();
    assertThat(delta.path("usage").path("input_tokens").asLong()).isEqualTo(20);
    assertThat(delta.path("usage").path("cache_read_input_tokens").asLong()).isEqualTo(10);
    assertThat(delta.path("usage").path("output_tokens").asLong()).isEqualTo(5);
    events.assertWellFormed();
    events.forEach((type, data) -> assertThat(data.path("type").asString()).isEqualTo(type));
  }

  @Test
  void switchesBetweenTextAndToolUseBlocksWithIncreasingIndexes() {
    Events events = encode(
        chunk("{\"role\":\"assistant\",\"content\":\"Let me check.\"}", null),
        chunk("{\"tool_calls\":[{\"index\":0,\"id\":\"call_A\",\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"\"}}]}", null),
        chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]}", null),
        chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]}", null),
        chunk("{\"tool_calls\":[{\"index\":1,\"id\":\"call_B\",\"type\":\"function\",\"function\":{\"name\":\"time\",\"arguments\":\"{}\"}}]}", null),
        chunk("{}", "tool_calls"));

    events.assertWellFormed();
    assertThat(events.types()).containsExactly("message_start",
        "content_block_start", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_stop",
        "message_delta", "message_stop");
    Map<Integer, String> blocks = events.accumulate();
    assertThat(blocks).containsEntry(0, "text:Let me check.")
        .containsEntry(1, "tool_use:call_A:weather:{\"city\":\"Paris\"}")
        .containsEntry(2, "tool_use:call_B:time:{}");
    assertThat(events.last("message_delta").path("delta").path("stop_reason").asString()).isEqualTo("tool_use");
  }

  @Test
  void writesThinkingPiecesAsSignedThinkingAndRedactedBlocksBeforeTheText() {
    Events events = encode(
        chunk("{\"role\":\"assistant\",\"reasoning_content\":\"Hmm, \",\"x_spillway_thinking\":"
            + "[{\"index\":0,\"type\":\"thinking\",\"thinking\":\"Hmm, \"}]}", null),
        chunk("{\"x_spillway_thinking\":[{\"index\":0,\"type\":\"thinking\",\"thinking\":\"let me see.\"}]}", null),
        chunk("{\"x_spillway_thinking\":[{\"index\":0,\"type\":\"thinking\",\"signature\":\"sig-1\"}]}", null),
        chunk("{\"x_spillway_thinking\":[{\"index\":1,\"type\":\"redacted_thinking\",\"data\":\"opaque\"}]}", null),
        chunk("{\"x_spillway_thinking\":[{\"index\":2,\"type\":\"thinking\",\"thinking\":\"again\"},"
            + "{\"index\":2,\"type\":\"thinking\",\"signature\":\"sig-2\"}]}", null),
        chunk("{\"content\":\"Done.\"}", null),
        chunk("{}", "length"));

    events.assertWellFormed();
    Map<Integer, String> blocks = events.accumulate();
    assertThat(blocks).containsExactly(Map.entry(0, "thinking:Hmm, let me see.:sig-1"),
        Map.entry(1, "redacted_thinking:opaque"), Map.entry(2, "thinking:again:sig-2"), Map.entry(3, "text:Done."));
    assertThat(events.data(1).path("content_block").toString())
        .isEqualTo("{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}");
    assertThat(events.last("message_delta").path("delta").path("stop_reason").asString()).isEqualTo("max_tokens");
  }

  @Test
  void writesPlainReasoningFromOpenAiCompatibleServersAsUnsignedThinking() {
    Events events = encode(
        chunk("{\"role\":\"assistant\",\"reasoning_content\":\"Step one, \"}", null),
        chunk("{\"reasoning\":\"step two.\"}", null),
        chunk("{\"content\":\"Answer.\"}", null),
        chunk("{}", "stop"));

    events.assertWellFormed();
    assertThat(events.accumulate()).containsExactly(Map.entry(0, "thinking:Step one, step two.:"),
        Map.entry(1, "text:Answer."));
  }

  @Test
  void namesTheStopSequenceThatEndedTheAnswer() {
    ObjectNode finish = chunk("{}", "stop");
    ((ObjectNode) finish.path("choices").get(0)).put("x_spillway_stop_sequence", "END");

    Events events = encode(chunk("{\"content\":\"a\"}", null), finish);

    JsonNode delta = events.last("message_delta").path("delta");
    assertThat(delta.path("stop_reason").asString()).isEqualTo("stop_sequence");
    assertThat(delta.path("stop_sequence").asString()).isEqualTo("END");
  }

  @Test
  void endsAnEmptyStreamWellFormed() {
    Events events = encode();

    assertThat(events.types()).containsExactly("message_start", "message_delta", "message_stop");
    assertThat(events.data(0).path("message").path("model").asString()).isEqualTo("route-model");
    events.assertWellFormed();
  }

  @Test
  void writesErrorsAsAnthropicErrorEvents() {
    AnthropicStreamEncoder encoder = new AnthropicStreamEncoder("route-model");
    StringBuilder out = new StringBuilder();
    encoder.onChunk(chunk("{\"content\":\"partial\"}", null), out);
    encoder.onError(GatewayError.UPSTREAM_ERROR, "claude: the provider closed the connection", out);
    encoder.onEnd(out);

    Events events = Events.parse(out.toString());
    assertThat(events.types()).endsWith("content_block_delta", "error");
    assertThat(events.last("error").toString()).isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"api_error\","
        + "\"message\":\"claude: the provider closed the connection\"}}");
  }

  @Test
  void reproducesAnAnthropicStreamAfterARoundTripThroughTheCanonicalForm() {
    for (String stream : List.of(AnthropicStreamDecoderTest.TEXT_STREAM, AnthropicStreamDecoderTest.TOOL_STREAM,
        AnthropicStreamDecoderTest.THINKING_STREAM)) {
      Events original = Events.parse(stream);
      AnthropicStreamEncoder encoder = new AnthropicStreamEncoder("m");
      StringBuilder out = new StringBuilder();
      AnthropicStreamDecoderTest.decode(stream).forEach(chunk -> encoder.onChunk(chunk, out));
      encoder.onEnd(out);
      Events translated = Events.parse(out.toString());

      translated.assertWellFormed();
      assertThat(translated.accumulate()).isEqualTo(original.accumulate());
      assertThat(translated.last("message_delta").path("delta"))
          .isEqualTo(original.last("message_delta").path("delta"));
      assertThat(translated.last("message_delta").path("usage").path("output_tokens"))
          .isEqualTo(original.last("message_delta").path("usage").path("output_tokens"));
    }
  }

  static Events encode(ObjectNode... chunks) {
    AnthropicStreamEncoder encoder = new AnthropicStreamEncoder("route-model");
    StringBuilder out = new StringBuilder();
    for (ObjectNode chunk : chunks) {
      encoder.onChunk(chunk, out);
    }
    encoder.onEnd(out);
    return Events.parse(out.toString());
  }

  static ObjectNode chunk(String delta, String finishReason) {
    ObjectNode chunk = JSON.createObjectNode();
    chunk.put("id", "chatcmpl-1");
    chunk.put("object", "chat.completion.chunk");
    chunk.put("model", "gpt-x");
    ObjectNode choice = chunk.putArray("choices").addObject();
    choice.put("index", 0);
    choice.set("delta", JSON.readTree(delta));
    if (finishReason == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finishReason);
    }
    return chunk;
  }

  static ObjectNode usageChunk(int prompt, int completion, int cached) {
    ObjectNode chunk = JSON.createObjectNode();
    chunk.put("id", "chatcmpl-1");
    chunk.putArray("choices");
    ObjectNode usage = chunk.putObject("usage");
    usage.put("prompt_tokens", prompt);
    usage.put("completion_tokens", completion);
    usage.putObject("prompt_tokens_details").put("cached_tokens", cached);
    return chunk;
  }

  /** Parsed Anthropic SSE text: the event names and their JSON, with a well-formedness check and an accumulator. */
  record Events(List<String> types, List<JsonNode> payloads) {
    static Events parse(String text) {
      List<String> types = new ArrayList<>();
      List<JsonNode> payloads = new ArrayList<>();
      for (String block : text.split("\n\n")) {
        if (block.isBlank()) {
          continue;
        }
        String type = null;
        String data = null;
        for (String line : block.split("\n")) {
          if (line.startsWith("event: ")) {
            type = line.substring(7);
          } else if (line.startsWith("data: ")) {
            data = line.substring(6);
          }
        }
        assertThat(type).as("event line of %s", block).isNotNull();
        assertThat(data).as("data line of %s", block).isNotNull();
        if (!type.equals("ping")) {
          types.add(type);
          payloads.add(JSON.readTree(data));
        }
      }
      return new Events(types, payloads);
    }

    JsonNode data(int i) {
      return payloads.get(i);
    }

    JsonNode last(String type) {
      return payloads.get(types.lastIndexOf(type));
    }

    void forEach(java.util.function.BiConsumer<String, JsonNode> action) {
      for (int i = 0; i < types.size(); i++) {
        action.accept(types.get(i), payloads.get(i));
      }
    }

    /** The rules Anthropic's SDK accumulators rely on. */
    void assertWellFormed() {
      assertThat(types).first().isEqualTo("message_start");
      assertThat(types).last().isEqualTo("message_stop");
      assertThat(types.get(types.size() - 2)).isEqualTo("message_delta");
      int open = -1;
      int next = 0;
      for (int i = 0; i < types.size(); i++) {
        JsonNode data = payloads.get(i);
        switch (types.get(i)) {
          case "content_block_start" -> {
            assertThat(open).as("a block is still open at event %d", i).isEqualTo(-1);
            assertThat(data.path("index").asInt()).as("index of block %d", next).isEqualTo(next);
            open = next++;
          }
          case "content_block_delta" -> assertThat(data.path("index").asInt()).isEqualTo(open);
          case "content_block_stop" -> {
            assertThat(data.path("index").asInt()).isEqualTo(open);
            open = -1;
          }
          case "message_delta", "message_stop" -> assertThat(open).as("open block at the end").isEqualTo(-1);
          default -> { }
        }
      }
    }

    /** Each block as one comparable string: text, thinking with signature, tool use with its complete input. */
    Map<Integer, String> accumulate() {
      Map<Integer, ObjectNode> blocks = new LinkedHashMap<>();
      Map<Integer, StringBuilder> inputs = new LinkedHashMap<>();
      for (int i = 0; i < types.size(); i++) {
        JsonNode data = payloads.get(i);
        int index = data.path("index").asInt();
        switch (types.get(i)) {
          case "content_block_start" -> blocks.put(index, (ObjectNode) data.path("content_block").deepCopy());
          case "content_block_delta" -> {
            ObjectNode block = blocks.get(index);
            JsonNode delta = data.path("delta");
            switch (delta.path("type").asString()) {
              case "text_delta" -> block.put("text", block.path("text").asString() + delta.path("text").asString());
              case "thinking_delta" -> block.put("thinking", block.path("thinking").asString()
                  + delta.path("thinking").asString());
              case "signature_delta" -> block.put("signature", delta.path("signature").asString());
              case "input_json_delta" -> inputs.computeIfAbsent(index, k -> new StringBuilder())
                  .append(delta.path("partial_json").asString());
              default -> { }
            }
          }
          default -> { }
        }
      }
      Map<Integer, String> out = new LinkedHashMap<>();
      blocks.forEach((index, block) -> out.put(index, switch (block.path("type").asString()) {
        case "text" -> "text:" + block.path("text").asString();
        case "thinking" -> "thinking:" + block.path("thinking").asString() + ":" + block.path("signature").asString();
        case "redacted_thinking" -> "redacted_thinking:" + block.path("data").asString();
        case "tool_use" -> "tool_use:" + block.path("id").asString() + ":" + block.path("name").asString() + ":"
            + JSON.readTree(inputs.getOrDefault(index, new StringBuilder("{}")).toString());
        default -> block.toString();
      }));
      return out;
    }
  }
}
