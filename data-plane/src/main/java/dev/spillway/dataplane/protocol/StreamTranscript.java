package dev.spillway.dataplane.protocol;

import dev.spillway.dataplane.json.Json;
import tools.jackson.databind.JsonNode;

/**
 * What a stream relayed to its client, kept so that its output can be counted when the provider never reports
 * usage (a client that leaves mid-stream, a provider that sends none): the client is charged for what it was sent.
 *
 * <p>On the event loop it only keeps references (a native stream's event data arrays, which the SSE decoder made
 * for each event and nobody changes) or the text a translated stream already has; {@link #text()} parses them and
 * belongs off the loop. It keeps at most {@value #MAX_BYTES} bytes and, past that,
 * only how much more there was, which {@link #uncountedTokens()} turns into an estimate: a streamed event carries
 * about one token (providers send a chunk per token or few), and text about four characters a token.
 */
public final class StreamTranscript {
  static final int MAX_BYTES = 1 << 20;

  private final java.util.ArrayList<byte[]> events = new java.util.ArrayList<>();
  private int eventsLength;
  private final StringBuilder text = new StringBuilder();
  private long eventCount;
  private long uncountedEvents;
  private long uncountedChars;

  /** One event of a native stream (its data, one JSON document; kept, not copied: the caller must not change it). */
  public void addEvent(byte[] data) {
    eventCount++;
    if (eventsLength + data.length + text.length() > MAX_BYTES) {
      uncountedEvents++;
      return;
    }
    events.add(data);
    eventsLength += data.length;
  }

  /** A translated stream's canonical chunk (already parsed): its generated text is kept. */
  public void addChunk(JsonNode chunk) {
    int before = text.length();
    appendGenerated(chunk, text);
    if (eventsLength + text.length() > MAX_BYTES) {
      uncountedChars += text.length() - before;
      text.setLength(before);
    }
  }

  public boolean isEmpty() {
    return eventCount == 0 && text.length() == 0 && uncountedChars == 0;
  }

  /** An estimate of the tokens relayed beyond what was kept. */
  public long uncountedTokens() {
    return uncountedEvents + (uncountedChars + 3) / 4;
  }

  /** An estimate of all tokens relayed, without parsing anything: for when counting them is not possible. */
  public long approximateTokens() {
    return eventCount + (text.length() + uncountedChars + 3) / 4;
  }

  /**
   * The generated text: content, reasoning and tool-call arguments of every kept event, in the shapes of OpenAI's
   * chat, completions and Responses streams and Anthropic's messages stream. Parses; call off the event loop.
   */
  public String text() {
    StringBuilder out = new StringBuilder(text);
    for (byte[] event : events) {
      appendGenerated(event, out);
    }
    return out.toString();
  }

  private static void appendGenerated(byte[] data, StringBuilder out) {
    if (data.length == 0 || data[0] != '{') {
      return; // [DONE] and the like
    }
    try {
      appendGenerated(Json.parse(data), out);
    } catch (RuntimeException e) {
      // not JSON: nothing generated to count
    }
  }

  private static void appendGenerated(JsonNode event, StringBuilder out) {
    for (JsonNode choice : event.path("choices")) {
      JsonNode delta = choice.path("delta");
      appendText(delta.get("content"), out);
      appendText(delta.get("reasoning_content"), out);
      appendText(delta.get("reasoning"), out);
      for (JsonNode call : delta.path("tool_calls")) {
        appendText(call.path("function").get("name"), out);
        appendText(call.path("function").get("arguments"), out);
      }
      appendText(choice.get("text"), out);
    }
    JsonNode delta = event.get("delta");
    if (delta != null && delta.isString()) {
      appendText(delta, out); // Responses API: response.output_text.delta, function_call_arguments.delta, …
    } else if (delta != null && delta.isObject()) {
      appendText(delta.get("text"), out); // Anthropic content_block_delta
      appendText(delta.get("partial_json"), out);
      appendText(delta.get("thinking"), out);
    }
    JsonNode block = event.get("content_block");
    if (block != null) {
      appendText(block.get("name"), out);
    }
  }

  private static void appendText(JsonNode node, StringBuilder out) {
    if (node != null && node.isString()) {
      out.append(node.asString());
    }
  }

  @Override
  public String toString() {
    return "StreamTranscript[" + eventCount + " events, " + text.length() + " characters of text]";
  }
}
