package dev.spillway.dataplane.protocol.framing;

/**
 * One server-sent event. {@code event} is null when the stream did not name it (OpenAI streams do not; Anthropic
 * streams do). Multi-line data is joined with {@code \n} as the SSE spec says.
 */
public record SseEvent(String event, String data) {
  public String encode() {
    return event == null ? "data: " + data + "\n\n" : "event: " + event + "\ndata: " + data + "\n\n";
  }
}
