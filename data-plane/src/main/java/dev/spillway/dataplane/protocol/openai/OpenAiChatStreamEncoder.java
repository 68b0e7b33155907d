package dev.spillway.dataplane.protocol.openai;

import dev.spillway.dataplane.protocol.ClientStreamEncoder;
import dev.spillway.dataplane.protocol.ErrorShape;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.json.Json;
import tools.jackson.databind.node.ObjectNode;

/** Canonical chunks to an OpenAI chat completions stream; the usage-only chunk only when the client asked for it. */
public final class OpenAiChatStreamEncoder implements ClientStreamEncoder {
  private final boolean includeUsage;
  private final String model;

  /** @param model the model name the client should see in every chunk, or null to keep the provider's */
  public OpenAiChatStreamEncoder(boolean includeUsage, String model) {
    this.includeUsage = includeUsage;
    this.model = model;
  }

  @Override
  public void onChunk(ObjectNode chunk, StringBuilder out) {
    if (isUsageOnly(chunk)) {
      if (!includeUsage) {
        return;
      }
    } else if (!includeUsage && chunk.has("usage")) {
      chunk.remove("usage");
    }
    if (model != null) {
      chunk.put("model", model);
    }
    out.append("data: ").append(Json.mapper().writeValueAsString(chunk)).append("\n\n");
  }

  @Override
  public void onEnd(StringBuilder out) {
    out.append("data: [DONE]\n\n");
  }

  @Override
  public void onError(GatewayError error, String message, StringBuilder out) {
    out.append(ErrorShape.openAiStreamEvent(error, message));
  }

  /** The final chunk OpenAI sends for {@code include_usage}: no choices, only usage. */
  public static boolean isUsageOnly(ObjectNode chunk) {
    return chunk.has("usage") && !chunk.path("usage").isNull() && chunk.path("choices").isEmpty();
  }
}
