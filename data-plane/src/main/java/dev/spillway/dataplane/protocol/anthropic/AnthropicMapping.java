package dev.spillway.dataplane.protocol.anthropic;

import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.usage.Usage;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the Anthropic Messages API and the canonical form (OpenAI chat completions) agree on: stop reasons, usage
 * and message ids. Shared by the {@code anthropic} provider adapter, the {@code /v1/messages} client format and their stream
 * codecs, so both directions map the same way.
 */
public final class AnthropicMapping {
  /** The API version Spillway speaks when neither the client nor the provider's settings name one. */
  public static final String DEFAULT_VERSION = "2023-06-01";

  private AnthropicMapping() {}

  /** Anthropic {@code stop_reason} → OpenAI {@code finish_reason}. */
  public static String finishReason(String stopReason) {
    if (stopReason == null) {
      return "stop";
    }
    return switch (stopReason) {
      case "max_tokens", "model_context_window_exceeded" -> "length";
      case "tool_use" -> "tool_calls";
      case "refusal" -> "content_filter";
      default -> "stop"; // end_turn, stop_sequence, pause_turn
    };
  }

  /** OpenAI {@code finish_reason} → Anthropic {@code stop_reason}. */
  public static String stopReason(String finishReason, String stopSequence) {
    if (finishReason == null) {
      return "end_turn";
    }
    return switch (finishReason) {
      case "length" -> "max_tokens";
      case "tool_calls", "function_call" -> "tool_use";
      case "content_filter" -> "refusal";
      default -> stopSequence != null ? "stop_sequence" : "end_turn";
    };
  }

  /**
   * Anthropic usage → OpenAI usage. Anthropic counts cache reads and cache writes apart from {@code input_tokens};
   * OpenAI's {@code prompt_tokens} includes every input token, with the cache reads repeated in
   * {@code prompt_tokens_details.cached_tokens}.
   */
  public static ObjectNode canonicalUsage(JsonNode usage) {
    long input = usage.path("input_tokens").asLong(0);
    long cacheRead = usage.path("cache_read_input_tokens").asLong(0);
    long cacheCreation = usage.path("cache_creation_input_tokens").asLong(0);
    long output = usage.path("output_tokens").asLong(0);
    return canonicalUsage(input + cacheRead + cacheCreation, output, cacheRead);
  }

  static ObjectNode canonicalUsage(long prompt, long completion, long cached) {
    ObjectNode node = Json.object();
    node.put("prompt_tokens", prompt);
    node.put("completion_tokens", completion);
    node.put("total_tokens", prompt + completion);
    node.putObject("prompt_tokens_details").put("cached_tokens", cached);
    return node;
  }

  /** Anthropic usage → a usage record (input includes cache reads and writes; cached is the reads). */
  public static Usage usage(JsonNode usage) {
    if (usage == null || !usage.isObject()) {
      return Usage.NONE;
    }
    long cacheRead = usage.path("cache_read_input_tokens").asLong(0);
    long input = usage.path("input_tokens").asLong(0) + cacheRead
        + usage.path("cache_creation_input_tokens").asLong(0);
    return new Usage(input, usage.path("output_tokens").asLong(0), cacheRead);
  }

  /**
   * OpenAI usage → Anthropic usage: {@code input_tokens} without the cached part, which goes to
   * {@code cache_read_input_tokens}. Cache writes are not reported by OpenAI-style providers, so they are 0.
   */
  public static ObjectNode anthropicUsage(JsonNode usage) {
    long prompt = usage == null ? 0 : usage.path("prompt_tokens").asLong(0);
    long cached = usage == null ? 0 : usage.path("prompt_tokens_details").path("cached_tokens").asLong(0);
    long completion = usage == null ? 0 : usage.path("completion_tokens").asLong(0);
    return anthropicUsage(Math.max(0, prompt - cached), completion, cached);
  }

  static ObjectNode anthropicUsage(long input, long output, long cacheRead) {
    ObjectNode node = Json.object();
    node.put("input_tokens", input);
    node.put("cache_creation_input_tokens", 0);
    node.put("cache_read_input_tokens", cacheRead);
    node.put("output_tokens", output);
    return node;
  }

  /** An Anthropic message id for a canonical completion id ({@code msg_} prefix, as the SDKs expect). */
  public static String messageId(String completionId) {
    if (completionId == null || completionId.isEmpty()) {
      return "msg_spillway";
    }
    return completionId.startsWith("msg_") ? completionId : "msg_" + completionId;
  }
}
