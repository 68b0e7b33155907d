package dev.spillway.dataplane.protocol.bedrock;

import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.canonical.CanonicalChunks;
import dev.spillway.dataplane.protocol.canonical.CanonicalParts;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A Converse answer as a canonical {@code chat.completion}: text blocks joined, {@code toolUse} blocks as tool calls
 * with JSON-string arguments (the input of the {@link BedrockRequestTranslator#STRUCTURED_OUTPUT_TOOL structured
 * output tool} as the answer's text instead), reasoning blocks as thinking blocks (signatures kept, so that a later
 * turn can send them back) with their text in {@code reasoning_content}, the stop reason as a finish reason, and usage
 * with cache reads and writes counted in {@code prompt_tokens}. {@link BedrockStreamDecoder} maps the stop reason and
 * usage of streams with the same methods.
 */
final class BedrockResponseTranslator {
  private BedrockResponseTranslator() {}

  /** The canonical completion for a complete answer, with this {@code id} and {@code created} time. */
  static ObjectNode toCanonical(JsonNode body, String model, String id, long created) {
    JsonNode message = body.path("output").path("message");
    if (!message.isObject()) {
      throw new IllegalArgumentException("not a Converse response (no output.message)");
    }
    StringBuilder text = new StringBuilder();
    ArrayNode toolCalls = Json.array();
    ArrayNode thinking = Json.array();
    for (JsonNode block : message.path("content")) {
      if (block.path("text").isString()) {
        text.append(block.path("text").asString());
      } else if (block.path("toolUse").isObject()) {
        JsonNode toolUse = block.path("toolUse");
        String arguments = Json.mapper().writeValueAsString(toolUse.path("input").isMissingNode()
            ? Json.object() : toolUse.path("input"));
        if (BedrockRequestTranslator.STRUCTURED_OUTPUT_TOOL.equals(toolUse.path("name").asString(""))) {
          text.append(arguments);
          continue;
        }
        ObjectNode call = toolCalls.addObject();
        call.put("id", toolUse.path("toolUseId").asString(""));
        call.put("type", "function");
        ObjectNode function = call.putObject("function");
        function.put("name", toolUse.path("name").asString(""));
        function.put("arguments", arguments);
      } else if (block.path("reasoningContent").isObject()) {
        JsonNode reasoning = block.path("reasoningContent");
        if (reasoning.path("reasoningText").isObject()) {
          ObjectNode out = thinking.addObject();
          out.put("type", "thinking");
          out.put("thinking", reasoning.path("reasoningText").path("text").asString(""));
          if (reasoning.path("reasoningText").path("signature").isString()) {
            out.put("signature", reasoning.path("reasoningText").path("signature").asString());
          }
        } else if (reasoning.path("redactedContent").isString()) {
          ObjectNode out = thinking.addObject();
          out.put("type", "redacted_thinking");
          out.put("data", reasoning.path("redactedContent").asString());
        }
      }
    }
    ObjectNode completion = Json.object();
    completion.put("id", id);
    completion.put("object", "chat.completion");
    completion.put("created", created);
    completion.put("model", model);
    ObjectNode choice = completion.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode out = choice.putObject("message");
    out.put("role", "assistant");
    if (text.length() > 0 || toolCalls.isEmpty()) {
      out.put("content", text.toString());
    } else {
      out.putNull("content");
    }
    if (!toolCalls.isEmpty()) {
      out.set("tool_calls", toolCalls);
    }
    if (!thinking.isEmpty()) {
      out.set(CanonicalParts.THINKING, thinking);
      StringBuilder reasoning = new StringBuilder();
      thinking.forEach(block -> reasoning.append(block.path("thinking").asString("")));
      if (reasoning.length() > 0) {
        out.put(CanonicalParts.REASONING_CONTENT, reasoning.toString());
      }
    }
    choice.put("finish_reason", finishReason(body.path("stopReason").asString(""), !toolCalls.isEmpty()));
    choice.putNull("logprobs");
    completion.set("usage", usage(body.path("usage")));
    return completion;
  }

  /** Converse's stop reason as OpenAI's finish reason. */
  static String finishReason(String stopReason, boolean toolCalls) {
    return switch (stopReason) {
      case "max_tokens", "model_context_window_exceeded" -> "length";
      case "tool_use" -> toolCalls ? "tool_calls" : "stop";
      case "guardrail_intervened", "content_filtered" -> "content_filter";
      default -> "stop";
    };
  }

  /**
   * Converse usage as OpenAI usage. Bedrock counts cache reads and writes apart from {@code inputTokens}; OpenAI's
   * {@code prompt_tokens} includes them, with the reads as {@code cached_tokens}.
   */
  static ObjectNode usage(JsonNode usage) {
    long cacheRead = usage.path("cacheReadInputTokens").asLong(0);
    long cacheWrite = usage.path("cacheWriteInputTokens").asLong(0);
    long prompt = usage.path("inputTokens").asLong(0) + cacheRead + cacheWrite;
    return CanonicalChunks.openAiUsage(prompt, usage.path("outputTokens").asLong(0),
        usage.has("cacheReadInputTokens") ? cacheRead : null, null);
  }
}
