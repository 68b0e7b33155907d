package dev.spillway.dataplane.protocol.canonical;

import dev.spillway.dataplane.json.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Folds a canonical stream ({@code chat.completion.chunk}s) into the {@code chat.completion} it stands for: per
 * choice the content, reasoning and tool calls concatenated in order, the last finish reason, and the usage. What a
 * stream relayed can then be cached and replayed, complete or as a stream, in any client API. Not thread-safe; meant
 * for off the event loop.
 */
public final class CompletionAccumulator {
  private final TreeMap<Integer, Choice> choices = new TreeMap<>();
  private String id;
  private String model;
  private long created;
  private JsonNode usage;
  private JsonNode systemFingerprint;

  /** Adds one chunk; chunks that are not JSON objects (the {@code [DONE]} marker) are ignored by the caller. */
  public void add(JsonNode chunk) {
    if (id == null && chunk.path("id").isString()) {
      id = chunk.get("id").asString();
    }
    if (model == null && chunk.path("model").isString()) {
      model = chunk.get("model").asString();
    }
    if (created == 0 && chunk.path("created").canConvertToLong()) {
      created = chunk.get("created").asLong();
    }
    if (chunk.hasNonNull("system_fingerprint")) {
      systemFingerprint = chunk.get("system_fingerprint");
    }
    JsonNode reported = chunk.get("usage");
    if (reported != null && reported.isObject()) {
      usage = reported;
    }
    for (JsonNode c : chunk.path("choices")) {
      Choice choice = choices.computeIfAbsent(c.path("index").asInt(0), i -> new Choice());
      choice.add(c);
    }
  }

  /** Whether any choice carries an answer (text or a tool call). */
  public boolean hasAnswer() {
    return choices.values().stream().anyMatch(Choice::hasAnswer);
  }

  /** The {@code chat.completion} the chunks added so far stand for. */
  public ObjectNode completion() {
    ObjectNode completion = Json.object();
    completion.put("id", id == null ? "chatcmpl-spillway" : id);
    completion.put("object", "chat.completion");
    completion.put("created", created);
    completion.put("model", model == null ? "" : model);
    if (systemFingerprint != null) {
      completion.set("system_fingerprint", systemFingerprint);
    }
    var array = completion.putArray("choices");
    choices.forEach((index, choice) -> array.add(choice.toJson(index)));
    if (usage != null) {
      completion.set("usage", usage);
    }
    return completion;
  }

  /** One choice's deltas, folded. */
  private static final class Choice {
    private final StringBuilder content = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder refusal = new StringBuilder();
    private final TreeMap<Integer, ToolCall> toolCalls = new TreeMap<>();
    private String role = "assistant";
    private String finishReason;
    private boolean sawContent;

    void add(JsonNode choice) {
      JsonNode delta = choice.path("delta");
      if (delta.path("role").isString()) {
        role = delta.get("role").asString();
      }
      if (delta.path("content").isString()) {
        content.append(delta.get("content").asString());
        sawContent = true;
      }
      appendIfText(delta.get("reasoning_content"), reasoning);
      appendIfText(delta.get("refusal"), refusal);
      for (JsonNode call : delta.path("tool_calls")) {
        toolCalls.computeIfAbsent(call.path("index").asInt(toolCalls.size()), i -> new ToolCall()).add(call);
      }
      JsonNode finish = choice.get("finish_reason");
      if (finish != null && finish.isString()) {
        finishReason = finish.asString();
      }
    }

    boolean hasAnswer() {
      return content.length() > 0 || !toolCalls.isEmpty() || refusal.length() > 0;
    }

    ObjectNode toJson(int index) {
      ObjectNode choice = Json.object();
      choice.put("index", index);
      ObjectNode message = choice.putObject("message");
      message.put("role", role);
      if (sawContent || toolCalls.isEmpty()) {
        message.put("content", content.toString());
      } else {
        message.putNull("content");
      }
      if (reasoning.length() > 0) {
        message.put("reasoning_content", reasoning.toString());
      }
      if (refusal.length() > 0) {
        message.put("refusal", refusal.toString());
      }
      if (!toolCalls.isEmpty()) {
        var calls = message.putArray("tool_calls");
        List<ToolCall> ordered = new ArrayList<>(toolCalls.values());
        for (ToolCall call : ordered) {
          calls.add(call.toJson());
        }
      }
      if (finishReason == null) {
        choice.putNull("finish_reason");
      } else {
        choice.put("finish_reason", finishReason);
      }
      return choice;
    }
  }

  private static final class ToolCall {
    private String id;
    private String type = "function";
    private final StringBuilder name = new StringBuilder();
    private final StringBuilder arguments = new StringBuilder();

    void add(JsonNode call) {
      if (call.path("id").isString()) {
        id = call.get("id").asString();
      }
      if (call.path("type").isString()) {
        type = call.get("type").asString();
      }
      appendIfText(call.path("function").get("name"), name);
      appendIfText(call.path("function").get("arguments"), arguments);
    }

    ObjectNode toJson() {
      ObjectNode call = Json.object();
      call.put("id", id == null ? "" : id);
      call.put("type", type);
      ObjectNode function = call.putObject("function");
      function.put("name", name.toString());
      function.put("arguments", arguments.toString());
      return call;
    }
  }

  private static void appendIfText(JsonNode node, StringBuilder out) {
    if (node != null && node.isString()) {
      out.append(node.asString());
    }
  }
}
