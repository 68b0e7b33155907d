package dev.spillway.dataplane.protocol.gemini;

import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.canonical.CanonicalChunks;
import dev.spillway.dataplane.protocol.canonical.CanonicalParts;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Gemini's answers in OpenAI's shapes. A {@code GenerateContentResponse} becomes a canonical {@code chat.completion}
 * with one choice per candidate: text parts joined, thought parts as thinking blocks (their text also in
 * {@code reasoning_content}), {@code functionCall} parts as tool calls whose ids carry the call's
 * {@code thoughtSignature} (so that {@link GeminiRequestTranslator} can send it back), Gemini's finish reason and
 * {@code usageMetadata} as OpenAI's; a prompt blocked before any candidate is one empty choice. A
 * {@code batchEmbedContents} answer becomes an OpenAI embeddings list. {@link GeminiStreamDecoder} maps the parts of
 * streamed answers with the same methods.
 */
final class GeminiResponseTranslator {
  /** Between a tool call id's random part and the call's thought signature (base64url). */
  static final String SIGNATURE_MARK = "__ts_";

  private GeminiResponseTranslator() {}

  /**
   * The canonical completion for a complete answer, with this {@code id} and {@code created} time; each tool call
   * takes its id from {@code toolCallIds}.
   */
  static ObjectNode toCanonical(JsonNode body, String model, String id, long created,
      Supplier<String> toolCallIds) {
    if (!body.isObject() || !(body.has("candidates") || body.has("promptFeedback"))) {
      throw new IllegalArgumentException("not a GenerateContentResponse (no candidates)");
    }
    ObjectNode completion = Json.object();
    completion.put("id", id);
    completion.put("object", "chat.completion");
    completion.put("created", created);
    completion.put("model", model);
    ArrayNode choices = completion.putArray("choices");
    JsonNode candidates = body.path("candidates");
    for (int i = 0; i < candidates.size(); i++) {
      JsonNode candidate = candidates.get(i);
      StringBuilder text = new StringBuilder();
      ArrayNode toolCalls = Json.array();
      ArrayNode thinking = Json.array();
      for (JsonNode part : candidate.path("content").path("parts")) {
        if (part.path("functionCall").isObject()) {
          toolCalls.add(toolCall(part, -1, toolCallIds.get()));
        } else if (part.path("text").isString()) {
          if (part.path("thought").asBoolean(false)) {
            thinking.add(thought(part));
          } else {
            text.append(part.path("text").asString());
          }
        }
      }
      ObjectNode choice = choices.addObject();
      choice.put("index", candidate.path("index").asInt(i));
      ObjectNode message = choice.putObject("message");
      message.put("role", "assistant");
      if (text.length() > 0 || toolCalls.isEmpty()) {
        message.put("content", text.toString());
      } else {
        message.putNull("content");
      }
      if (!toolCalls.isEmpty()) {
        message.set("tool_calls", toolCalls);
      }
      if (!thinking.isEmpty()) {
        message.set(CanonicalParts.THINKING, thinking);
        StringBuilder reasoning = new StringBuilder();
        thinking.forEach(block -> reasoning.append(block.path("thinking").asString("")));
        message.put(CanonicalParts.REASONING_CONTENT, reasoning.toString());
      }
      choice.put("finish_reason", finishReason(candidate.path("finishReason").asString(""), !toolCalls.isEmpty()));
      choice.putNull("logprobs");
    }
    if (choices.isEmpty()) {
      // The prompt itself was blocked (promptFeedback.blockReason): no candidate at all.
      ObjectNode choice = choices.addObject();
      choice.put("index", 0);
      ObjectNode message = choice.putObject("message");
      message.put("role", "assistant");
      message.putNull("content");
      choice.put("finish_reason", body.path("promptFeedback").has("blockReason") ? "content_filter" : "stop");
      choice.putNull("logprobs");
    }
    completion.set("usage", usage(body.path("usageMetadata")));
    return completion;
  }

  /**
   * A {@code functionCall} part as an OpenAI tool call with {@code id}, to which the part's thought signature is
   * appended; {@code index} is set for stream deltas (≥ 0).
   */
  static ObjectNode toolCall(JsonNode part, int index, String id) {
    JsonNode functionCall = part.path("functionCall");
    ObjectNode call = Json.object();
    if (index >= 0) {
      call.put("index", index);
    }
    JsonNode signature = part.path("thoughtSignature");
    call.put("id", signature.isString() && !signature.asString().isEmpty()
        ? id + SIGNATURE_MARK + base64Url(signature.asString()) : id);
    call.put("type", "function");
    ObjectNode function = call.putObject("function");
    function.put("name", functionCall.path("name").asString(""));
    function.put("arguments", Json.mapper().writeValueAsString(functionCall.path("args").isObject()
        ? functionCall.path("args") : Json.object()));
    return call;
  }

  /**
   * A thought summary part as a thinking block, without a signature: Gemini's signatures mean nothing to other
   * providers (Anthropic would refuse the block), and Gemini needs back only those of function calls.
   */
  static ObjectNode thought(JsonNode part) {
    ObjectNode block = Json.object();
    block.put("type", "thinking");
    block.put("thinking", part.path("text").asString(""));
    return block;
  }

  /** Gemini's finish reason as OpenAI's; a candidate that called functions finished with tool_calls. */
  static String finishReason(String reason, boolean toolCalls) {
    return switch (reason) {
      case "MAX_TOKENS" -> "length";
      case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
          "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "LANGUAGE" -> "content_filter";
      default -> toolCalls ? "tool_calls" : "stop";
    };
  }

  /**
   * {@code usageMetadata} as OpenAI usage: tool-use prompt tokens count as input, thinking tokens as output (and as
   * {@code reasoning_tokens}), cached content tokens as {@code cached_tokens}.
   */
  static ObjectNode usage(JsonNode metadata) {
    long prompt = metadata.path("promptTokenCount").asLong(0) + metadata.path("toolUsePromptTokenCount").asLong(0);
    long thoughts = metadata.path("thoughtsTokenCount").asLong(0);
    long completion = metadata.path("candidatesTokenCount").asLong(0) + thoughts;
    return CanonicalChunks.openAiUsage(prompt, completion,
        metadata.has("cachedContentTokenCount") ? metadata.path("cachedContentTokenCount").asLong(0) : null,
        metadata.has("thoughtsTokenCount") ? thoughts : null);
  }

  /** Standard base64 to its URL-safe, unpadded form, so that ids stay within [A-Za-z0-9_-]. */
  private static String base64Url(String standard) {
    StringBuilder url = new StringBuilder(standard.length());
    for (int i = 0; i < standard.length(); i++) {
      char c = standard.charAt(i);
      if (c == '+') {
        url.append('-');
      } else if (c == '/') {
        url.append('_');
      } else if (c != '=') {
        url.append(c);
      }
    }
    return url.toString();
  }

  // ---------------------------------------------------------------- embeddings

  /** A {@code batchEmbedContents} answer as an OpenAI embeddings list for {@code model}. */
  static ObjectNode embeddings(JsonNode body, String model) {
    List<float[]> vectors = embeddingVectors(body);
    ObjectNode list = Json.object();
    list.put("object", "list");
    ArrayNode data = list.putArray("data");
    for (int i = 0; i < vectors.size(); i++) {
      ObjectNode item = data.addObject();
      item.put("object", "embedding");
      item.put("index", i);
      ArrayNode values = item.putArray("embedding");
      for (float v : vectors.get(i)) {
        values.add(v);
      }
    }
    list.put("model", model);
    // batchEmbedContents reports no token counts; 0 means "unknown" to accounting.
    long tokens = body.path("usageMetadata").path("promptTokenCount").asLong(0);
    ObjectNode usage = list.putObject("usage");
    usage.put("prompt_tokens", tokens);
    usage.put("total_tokens", tokens);
    return list;
  }

  /** The vectors of a {@code batchEmbedContents} answer, in request order. */
  static List<float[]> embeddingVectors(JsonNode body) {
    JsonNode embeddings = body.path("embeddings");
    if (!embeddings.isArray()) {
      throw new IllegalArgumentException("not a batchEmbedContents response (no embeddings)");
    }
    List<float[]> vectors = new ArrayList<>(embeddings.size());
    for (JsonNode embedding : embeddings) {
      JsonNode values = embedding.path("values");
      float[] vector = new float[values.size()];
      for (int i = 0; i < vector.length; i++) {
        vector[i] = (float) values.get(i).asDouble();
      }
      vectors.add(vector);
    }
    return vectors;
  }
}
