package dev.spillway.dataplane.protocol.canonical;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The canonical stream a {@code chat.completion} stands for, as a provider would have sent it: a role delta, the
 * reasoning, the content, each tool call (head, then its arguments), the finish reason, and the usage chunk. A cached
 * answer replayed this way goes through the client API's own stream encoder, so it is as well-formed as any other
 * stream. Content is cut into pieces of at most {@value #PIECE_CHARS} characters so that clients that render as they
 * read see a stream, not one block, at no cost worth measuring.
 */
public final class CompletionReplay {
  static final int PIECE_CHARS = 64;

  private CompletionReplay() {}

  public static List<ObjectNode> chunks(ObjectNode completion, String id, long created) {
    CanonicalChunks chunks = new CanonicalChunks(id, created, completion.path("model").asString(""));
    List<ObjectNode> out = new ArrayList<>();
    for (JsonNode choice : completion.path("choices")) {
      int index = choice.path("index").asInt(0);
      JsonNode message = choice.path("message");
      ObjectNode role = CanonicalChunks.delta();
      role.put("role", message.path("role").asString("assistant"));
      if (message.path("content").isString()) {
        role.put("content", "");
      } else {
        role.putNull("content"); // as OpenAI opens a reply that is only tool calls
      }
      out.add(chunks.chunk(index, role, null));
      pieces(message.get("reasoning_content"), "reasoning_content", index, chunks, out);
      pieces(message.get("content"), "content", index, chunks, out);
      pieces(message.get("refusal"), "refusal", index, chunks, out);
      int callIndex = 0;
      for (JsonNode call : message.path("tool_calls")) {
        ObjectNode head = CanonicalChunks.delta();
        ObjectNode headCall = head.putArray("tool_calls").addObject();
        headCall.put("index", callIndex);
        headCall.put("id", call.path("id").asString(""));
        headCall.put("type", call.path("type").asString("function"));
        headCall.putObject("function").put("name", call.path("function").path("name").asString(""))
            .put("arguments", "");
        out.add(chunks.chunk(index, head, null));
        String arguments = call.path("function").path("arguments").asString("");
        for (int start = 0; start < arguments.length(); start += PIECE_CHARS) {
          ObjectNode delta = CanonicalChunks.delta();
          ObjectNode part = delta.putArray("tool_calls").addObject();
          part.put("index", callIndex);
          part.putObject("function").put("arguments",
              arguments.substring(start, Math.min(arguments.length(), start + PIECE_CHARS)));
          out.add(chunks.chunk(index, delta, null));
        }
        callIndex++;
      }
      JsonNode finish = choice.get("finish_reason");
      out.add(chunks.chunk(index, CanonicalChunks.delta(),
          finish != null && finish.isString() ? finish.asString() : "stop"));
    }
    JsonNode usage = completion.get("usage");
    if (usage != null && usage.isObject()) {
      out.add(chunks.usage(((ObjectNode) usage).deepCopy()));
    }
    return out;
  }

  private static void pieces(JsonNode text, String field, int index, CanonicalChunks chunks, List<ObjectNode> out) {
    if (text == null || !text.isString() || text.asString().isEmpty()) {
      return;
    }
    String value = text.asString();
    int start = 0;
    while (start < value.length()) {
      int end = Math.min(value.length(), start + PIECE_CHARS);
      if (end < value.length() && Character.isHighSurrogate(value.charAt(end - 1))) {
        end--; // never split a surrogate pair
      }
      ObjectNode delta = CanonicalChunks.delta();
      delta.put(field, value.substring(start, end));
      out.add(chunks.chunk(index, delta, null));
      start = end;
    }
  }
}
