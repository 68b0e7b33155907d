package dev.spillway.dataplane.protocol.canonical;

import dev.spillway.dataplane.json.Json;
import tools.jackson.databind.node.ObjectNode;

/** Builds the canonical {@code chat.completion.chunk}s of one translated stream: one id, one timestamp, one model. */
public final class CanonicalChunks {
  private final String id;
  private final long created;
  private final String model;

  public CanonicalChunks(String id, long created, String model) {
    this.id = id;
    this.created = created;
    this.model = model;
  }

  /** A chunk with one choice; {@code finishReason} null while the choice goes on. */
  public ObjectNode chunk(int index, ObjectNode delta, String finishReason) {
    ObjectNode chunk = base();
    ObjectNode choice = chunk.putArray("choices").addObject();
    choice.put("index", index);
    choice.set("delta", delta);
    if (finishReason == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finishReason);
    }
    return chunk;
  }

  /** The final usage-only chunk ({@code choices} empty), as OpenAI sends it for {@code include_usage}. */
  public ObjectNode usage(ObjectNode usage) {
    ObjectNode chunk = base();
    chunk.putArray("choices");
    chunk.set("usage", usage);
    return chunk;
  }

  public static ObjectNode delta() {
    return Json.object();
  }

  private ObjectNode base() {
    ObjectNode chunk = Json.object();
    chunk.put("id", id);
    chunk.put("object", "chat.completion.chunk");
    chunk.put("created", created);
    chunk.put("model", model);
    return chunk;
  }

  /** An OpenAI usage object; {@code cached} is left out when the provider reported none. */
  public static ObjectNode openAiUsage(long prompt, long completion, Long cached, Long reasoning) {
    ObjectNode usage = Json.object();
    usage.put("prompt_tokens", prompt);
    usage.put("completion_tokens", completion);
    usage.put("total_tokens", prompt + completion);
    if (cached != null) {
      usage.putObject("prompt_tokens_details").put("cached_tokens", cached);
    }
    if (reasoning != null) {
      usage.putObject("completion_tokens_details").put("reasoning_tokens", reasoning);
    }
    return usage;
  }
}
