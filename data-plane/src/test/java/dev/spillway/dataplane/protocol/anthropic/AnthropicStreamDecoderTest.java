package dev.spillway.dataplane.protocol.anthropic;

import dev.spillway.dataplane.protocol.ProviderStreamError;
import dev.spillway.dataplane.protocol.framing.SseDecoder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.testsupport.NoLeaksExtension;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Anthropic's stream events → canonical chunks, including tool calls between text and events split anywhere. */
@ExtendWith(NoLeaksExtension.class)
class AnthropicStreamDecoderTest {
  static final String TEXT_STREAM = """
      event: message_start
      data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-x","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_read_input_tokens":5,"cache_creation_input_tokens":2,"output_tokens":1}}}

      event: content_block_start
      data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

      event: ping
      data: {"type": "ping"}

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" world"}}

      event: content_block_stop
      data: {"type":"content_block_stop","index":0}

      event: message_delta
      data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

      event: message_stop
      data: {"type":"message_stop"}

      """;

  /** Text, then two tool calls, then text again: Anthropic's block order when a model explains between calls. */
  static final String TOOL_STREAM = """
      event: message_start
      data: {"type":"message_start","message":{"id":"msg_2","type":"message","role":"assistant","content":[],"model":"claude-x","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":100,"output_tokens":1}}}

      event: content_block_start
      data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking."}}

      event: content_block_stop
      data: {"type":"content_block_stop","index":0}

      event: content_block_start
      data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_A","name":"get_weather","input":{}}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\": "}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\\"Paris\\"}"}}

      event: content_block_stop
      data: {"type":"content_block_stop","index":1}

      event: content_block_start
      data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_B","name":"get_time","input":{}}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{}"}}

      event: content_block_stop
      data: {"type":"content_block_stop","index":2}

      event: message_delta
      data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":60}}

      event: message_stop
      data: {"type":"message_stop"}

      """;

  static final String THINKING_STREAM = """
      event: message_start
      data: {"type":"message_start","message":{"id":"msg_3","type":"message","role":"assistant","content":[],"model":"claude-x","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}

      event: content_block_start
      data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think."}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}

      event: content_block_stop
      data: {"type":"content_block_stop","index":0}

      event: content_block_start
      data: {"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"opaque"}}

      event: content_block_stop
      data: {"type":"content_block_stop","index":1}

      event: content_block_start
      data: {"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}

      event: content_block_delta
      data: {"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"one two"}}

      event: content_block_stop
      data: {"type":"content_block_stop","index":2}

      event: message_delta
      data: {"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"three"},"usage":{"output_tokens":30}}

      event: message_stop
      data: {"type":"message_stop"}

      """;

  @Test
  void decodesATextStreamIntoRoleContentFinishAndUsageChunks() {
    List<ObjectNode> chunks = decode(TEXT_STREAM);

    assertThat(chunks).hasSize(5);
    assertThat(chunks.get(0).path("choices").get(0).path("delta").path("role").asString()).isEqualTo("assistant");
    assertThat(chunks.get(0).path("id").asString()).isEqualTo("msg_1");
    assertThat(chunks.get(0).path("model").asString()).isEqualTo("claude-x");
    assertThat(chunks.get(0).path("object").asString()).isEqualTo("chat.completion.chunk");
    assertThat(content(chunks)).isEqualTo("Hello world");
    JsonNode finish = chunks.get(3).path("choices").get(0);
    assertThat(finish.path("finish_reason").asString()).isEqualTo("stop");
    assertThat(finish.path("delta").isEmpty()).isTrue();
    ObjectNode usage = chunks.get(4);
    assertThat(usage.path("choices").isArray()).isTrue();
    assertThat(usage.path("choices").isEmpty()).isTrue();
    assertThat(usage.path("usage").path("prompt_tokens").asLong()).isEqualTo(32);
    assertThat(usage.path("usage").path("completion_tokens").asLong()).isEqualTo(15);
    assertThat(usage.path("usage").path("total_tokens").asLong()).isEqualTo(47);
    assertThat(usage.path("usage").path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(5);
  }

  @Test
  void givesEachToolUseBlockItsOwnToolCallIndexBetweenTextDeltas() {
    List<ObjectNode> chunks = decode(TOOL_STREAM);

    assertThat(content(chunks)).isEqualTo("Checking.");
    List<JsonNode> calls = new ArrayList<>();
    chunks.forEach(c -> c.path("choices").path(0).path("delta").path("tool_calls").forEach(calls::add));
    assertThat(calls).hasSize(5);
    assertThat(calls.get(0).path("index").asInt()).isZero();
    assertThat(calls.get(0).path("id").asString()).isEqualTo("toolu_A");
    assertThat(calls.get(0).path("type").asString()).isEqualTo("function");
    assertThat(calls.get(0).path("function").path("name").asString()).isEqualTo("get_weather");
    assertThat(calls.get(0).path("function").path("arguments").asString()).isEmpty();
    assertThat(arguments(calls, 0)).isEqualTo("{\"city\": \"Paris\"}");
    assertThat(calls.get(3).path("index").asInt()).isEqualTo(1);
    assertThat(calls.get(3).path("id").asString()).isEqualTo("toolu_B");
    assertThat(arguments(calls, 1)).isEqualTo("{}");
    assertThat(calls).filteredOn(c -> c.has("id")).hasSize(2);
    assertThat(finishReason(chunks)).isEqualTo("tool_calls");
  }

  @Test
  void carriesThinkingItsSignatureRedactedThinkingAndTheStopSequence() {
    List<ObjectNode> chunks = decode(THINKING_STREAM);

    StringBuilder reasoning = new StringBuilder();
    List<String> pieces = new ArrayList<>();
    for (ObjectNode chunk : chunks) {
      JsonNode delta = chunk.path("choices").path(0).path("delta");
      reasoning.append(delta.path("reasoning_content").asString(""));
      delta.path("x_spillway_thinking").forEach(p -> pieces.add(p.toString()));
    }
    assertThat(reasoning).hasToString("Let me think.");
    assertThat(pieces).containsExactly(
        "{\"index\":0,\"type\":\"thinking\",\"thinking\":\"\"}",
        "{\"index\":0,\"type\":\"thinking\",\"thinking\":\"Let me think.\"}",
        "{\"index\":0,\"type\":\"thinking\",\"signature\":\"EqQB\"}",
        "{\"index\":1,\"type\":\"redacted_thinking\",\"data\":\"opaque\"}");
    assertThat(content(chunks)).isEqualTo("one two");
    JsonNode finish = chunks.get(chunks.size() - 2).path("choices").get(0);
    assertThat(finish.path("finish_reason").asString()).isEqualTo("stop");
    assertThat(finish.path("x_spillway_stop_sequence").asString()).isEqualTo("three");
  }

  @Test
  void producesTheSameChunksWhenEveryByteArrivesAlone() {
    for (String stream : List.of(TEXT_STREAM, TOOL_STREAM, THINKING_STREAM)) {
      List<ObjectNode> whole = decode(stream);
      AnthropicStreamDecoder decoder = new AnthropicStreamDecoder("fallback");
      List<ObjectNode> split = new ArrayList<>();
      byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
      for (byte b : bytes) {
        ByteBuf one = Unpooled.wrappedBuffer(new byte[] {b});
        try {
          decoder.decode(one, split::add);
        } finally {
          one.release();
        }
      }
      decoder.finish(split::add);

      assertThat(withoutCreated(split)).isEqualTo(withoutCreated(whole));
    }
  }

  @Test
  void turnsAnErrorEventIntoAProviderStreamErrorWithAnthropicsTypeAndMessage() {
    String stream = TEXT_STREAM.substring(0, TEXT_STREAM.indexOf("event: content_block_stop"))
        + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    AnthropicStreamDecoder decoder = new AnthropicStreamDecoder("m");
    List<ObjectNode> chunks = new ArrayList<>();
    ByteBuf input = Unpooled.copiedBuffer(stream, StandardCharsets.UTF_8);
    try {
      assertThatThrownBy(() -> decoder.decode(input, chunks::add))
          .isInstanceOf(ProviderStreamError.class)
          .hasMessage("overloaded_error: Overloaded");
    } finally {
      input.release();
    }
    assertThat(content(chunks)).isEqualTo("Hello world");
  }

  @Test
  void refusesAStreamThatEndsBeforeMessageStop() {
    String truncated = TEXT_STREAM.substring(0, TEXT_STREAM.indexOf("event: message_delta"));
    AnthropicStreamDecoder decoder = new AnthropicStreamDecoder("m");
    ByteBuf input = Unpooled.copiedBuffer(truncated, StandardCharsets.UTF_8);
    try {
      decoder.decode(input, chunk -> { });
    } finally {
      input.release();
    }

    assertThatThrownBy(() -> decoder.finish(chunk -> { }))
        .isInstanceOf(SseDecoder.SseException.class)
        .hasMessageContaining("message_stop");
  }

  @Test
  void refusesAnEventThatIsNotJson() {
    AnthropicStreamDecoder decoder = new AnthropicStreamDecoder("m");
    ByteBuf input = Unpooled.copiedBuffer("event: message_start\ndata: {oops\n\n", StandardCharsets.UTF_8);
    try {
      assertThatThrownBy(() -> decoder.decode(input, chunk -> { })).isInstanceOf(SseDecoder.SseException.class);
    } finally {
      input.release();
    }
  }

  @Test
  void skipsServerToolBlocksAndUnknownEventsWithoutBreakingTheStream() {
    String stream = TEXT_STREAM.replace("event: ping\ndata: {\"type\": \"ping\"}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":5,\"content_block\":"
            + "{\"type\":\"server_tool_use\",\"id\":\"srv_1\",\"name\":\"web_search\",\"input\":{}}}\n\n"
            + "event: brand_new_event\ndata: {\"type\":\"brand_new_event\"}\n\n");

    List<ObjectNode> chunks = decode(stream);

    assertThat(content(chunks)).isEqualTo("Hello world");
    assertThat(chunks).hasSize(5);
  }

  static List<ObjectNode> decode(String stream) {
    AnthropicStreamDecoder decoder = new AnthropicStreamDecoder("fallback");
    List<ObjectNode> chunks = new ArrayList<>();
    ByteBuf input = Unpooled.copiedBuffer(stream, StandardCharsets.UTF_8);
    try {
      decoder.decode(input, chunks::add);
    } finally {
      input.release();
    }
    decoder.finish(chunks::add);
    return chunks;
  }

  static String content(List<ObjectNode> chunks) {
    StringBuilder text = new StringBuilder();
    chunks.forEach(c -> text.append(c.path("choices").path(0).path("delta").path("content").asString("")));
    return text.toString();
  }

  static String finishReason(List<ObjectNode> chunks) {
    return chunks.stream().map(c -> c.path("choices").path(0).path("finish_reason"))
        .filter(JsonNode::isString).map(JsonNode::asString).findFirst().orElse(null);
  }

  private static String arguments(List<JsonNode> calls, int index) {
    StringBuilder args = new StringBuilder();
    calls.stream().filter(c -> c.path("index").asInt() == index)
        .forEach(c -> args.append(c.path("function").path("arguments").asString("")));
    return args.toString();
  }

  private static List<String> withoutCreated(List<ObjectNode> chunks) {
    return chunks.stream().map(c -> {
      ObjectNode copy = c.deepCopy();
      copy.remove("created");
      return copy.toString();
    }).toList();
  }
}
