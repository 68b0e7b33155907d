package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.ChatStreamDecoder;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.protocol.canonical.CompletionAccumulator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a stream relayed, kept for the cache: a translated stream's canonical chunks, or a native stream's events
 * (references only, on the event loop; parsed when the cache stores the answer). Bounded: a stream longer than
 * {@value #MAX_BYTES} bytes is not kept at all (and not cached).
 */
final class StreamCapture implements CapturedAnswer {
  static final int MAX_BYTES = 1 << 20;

  private final List<ObjectNode> chunks = new ArrayList<>();
  private final List<String> eventNames = new ArrayList<>();
  private final List<byte[]> eventData = new ArrayList<>();
  /** Turns a native stream's events into canonical chunks; null when the events are canonical chunks already. */
  private final Supplier<ChatStreamDecoder> nativeDecoder;
  /** The API whose events are kept for the request log as the client got them (not read back); null when read back. */
  private final InboundApi clientApi;
  private int bytes;
  private boolean overflow;

  StreamCapture(Supplier<ChatStreamDecoder> nativeDecoder) {
    this(nativeDecoder, null);
  }

  private StreamCapture(Supplier<ChatStreamDecoder> nativeDecoder, InboundApi clientApi) {
    this.nativeDecoder = nativeDecoder;
    this.clientApi = clientApi;
  }

  /**
   * A native stream of completions or the Responses API, kept for the request log: its answer is assembled in that
   * API ({@link #clientAnswer}), never read back as a canonical completion.
   */
  static StreamCapture inClientApi(InboundApi api) {
    return new StreamCapture(null, api);
  }

  /** A translated stream's canonical chunk, before the client's encoder sees it. */
  void chunk(ObjectNode chunk) {
    if (overflow) {
      return;
    }
    // A chunk is a few small fields around its delta; its text is what grows.
    bytes += 64 + chunk.path("choices").path(0).path("delta").toString().length();
    if (bytes > MAX_BYTES) {
      overflow();
      return;
    }
    chunks.add(chunk.deepCopy());
  }

  /** A native stream's event, as it was relayed. */
  void event(String name, byte[] data) {
    if (overflow) {
      return;
    }
    bytes += data.length;
    if (bytes > MAX_BYTES) {
      overflow();
      return;
    }
    eventNames.add(name);
    eventData.add(data);
  }

  private void overflow() {
    overflow = true;
    chunks.clear();
    eventNames.clear();
    eventData.clear();
  }

  @Override
  public ObjectNode completion() {
    if (overflow) {
      return null;
    }
    if (clientApi != null) {
      return ClientAnswers.canonical(clientApi, clientAnswer());
    }
    CompletionAccumulator accumulator = new CompletionAccumulator();
    chunks.forEach(accumulator::add);
    if (!eventData.isEmpty()) {
      if (nativeDecoder == null) {
        for (byte[] data : eventData) {
          if (data.length > 0 && data[0] == '{') {
            JsonNode chunk = Json.parse(data);
            accumulator.add(chunk);
          }
        }
      } else {
        ByteBuf framed = Unpooled.buffer(bytes + eventData.size() * 32);
        try {
          for (int i = 0; i < eventData.size(); i++) {
            if (eventNames.get(i) != null && !eventNames.get(i).isEmpty()) {
              framed.writeCharSequence("event: " + eventNames.get(i) + "\n", StandardCharsets.UTF_8);
            }
            framed.writeCharSequence("data: ", StandardCharsets.US_ASCII);
            for (byte b : eventData.get(i)) {
              if (b == '\n') {
                framed.writeCharSequence("\ndata: ", StandardCharsets.US_ASCII); // a data line per line
              } else {
                framed.writeByte(b);
              }
            }
            framed.writeCharSequence("\n\n", StandardCharsets.US_ASCII);
          }
          ChatStreamDecoder decoder = nativeDecoder.get();
          decoder.decode(framed, accumulator::add);
          decoder.finish(accumulator::add);
        } finally {
          framed.release();
        }
      }
    }
    return accumulator.hasAnswer() ? accumulator.completion() : null;
  }

  /**
   * A Responses stream's answer is the response its last event ({@code response.completed}, {@code .incomplete} or
   * {@code .failed}) carries whole; a completions stream's is assembled from its chunks' text, choice by choice.
   */
  @Override
  public byte[] clientAnswer() {
    if (overflow || clientApi == null) {
      return null;
    }
    if (clientApi == InboundApi.OPENAI_RESPONSES) {
      for (int i = eventData.size() - 1; i >= 0; i--) {
        String name = eventNames.get(i);
        if ("response.completed".equals(name) || "response.incomplete".equals(name)
            || "response.failed".equals(name)) {
          JsonNode response = Json.parse(eventData.get(i)).get("response");
          return response == null || !response.isObject() ? null : Json.bytes(response);
        }
      }
      return null;
    }
    return assembledCompletion();
  }

  /** A {@code text_completion} from the chunks of a completions stream. */
  private byte[] assembledCompletion() {
    ObjectNode answer = null;
    java.util.TreeMap<Integer, StringBuilder> texts = new java.util.TreeMap<>();
    java.util.Map<Integer, String> reasons = new java.util.HashMap<>();
    for (byte[] data : eventData) {
      if (data.length == 0 || data[0] != '{') {
        continue; // [DONE]
      }
      JsonNode chunk = Json.parse(data);
      if (answer == null) {
        answer = Json.object();
        answer.put("id", chunk.path("id").asString(""));
        answer.put("object", "text_completion");
        answer.put("created", chunk.path("created").asLong(0));
        answer.put("model", chunk.path("model").asString(""));
      }
      for (JsonNode choice : chunk.path("choices")) {
        int index = choice.path("index").asInt(0);
        texts.computeIfAbsent(index, k -> new StringBuilder()).append(choice.path("text").asString(""));
        JsonNode reason = choice.get("finish_reason");
        if (reason != null && reason.isString()) {
          reasons.put(index, reason.asString());
        }
      }
      JsonNode usage = chunk.get("usage");
      if (usage != null && usage.isObject()) {
        answer.set("usage", usage);
      }
    }
    if (answer == null) {
      return null;
    }
    var choices = answer.putArray("choices");
    texts.forEach((index, text) -> {
      ObjectNode choice = choices.addObject().put("index", index).put("text", text.toString());
      choice.putNull("logprobs");
      String reason = reasons.get(index);
      if (reason != null) {
        choice.put("finish_reason", reason);
      } else {
        choice.putNull("finish_reason");
      }
    });
    return Json.bytes(answer);
  }
}
