package dev.spillway.dataplane.usage;

import tools.jackson.databind.JsonNode;

/**
 * Token counts of one request, as the provider reported them.
 *
 * @param cachedInputTokens input tokens served from the provider's prompt cache (a subset of input tokens)
 * @param reasoningTokens   output tokens the model spent reasoning, where the provider reports them (a subset of
 *                          output tokens, priced as output)
 */
public record Usage(long inputTokens, long outputTokens, long cachedInputTokens, long reasoningTokens) {
  public static final Usage NONE = new Usage(0, 0, 0, 0);

  public Usage(long inputTokens, long outputTokens, long cachedInputTokens) {
    this(inputTokens, outputTokens, cachedInputTokens, 0);
  }

  /** From an OpenAI-style {@code usage} object; missing fields count as 0. */
  public static Usage fromOpenAi(JsonNode usage) {
    if (usage == null || !usage.isObject()) {
      return NONE;
    }
    return new Usage(usage.path("prompt_tokens").asLong(0), usage.path("completion_tokens").asLong(0),
        usage.path("prompt_tokens_details").path("cached_tokens").asLong(0),
        usage.path("completion_tokens_details").path("reasoning_tokens").asLong(0));
  }

  public boolean isKnown() {
    return inputTokens > 0 || outputTokens > 0;
  }
}
