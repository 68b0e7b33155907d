package dev.spillway.dataplane.protocol.openai;

import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.ClientFormat;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.protocol.Requests;
import dev.spillway.dataplane.protocol.ErrorShape;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.ClientStreamEncoder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /v1/completions}, OpenAI's legacy text completions. Providers with a native completions endpoint
 * ({@code openai}, {@code azure-openai}, {@code openai-compatible}: instruct models need it) get the client's body
 * unchanged but for {@code model}. Elsewhere the prompt becomes the single user message of a chat request and the
 * answer's message text becomes {@code choices[].text}.
 *
 * <p>What chat cannot express is marked {@link ChatCall#NATIVE_ONLY} (a 400 saying why when the target needs
 * translation): several prompts in one request, token-array prompts, {@code suffix}, {@code echo},
 * {@code logprobs} and {@code best_of} above 1. Shared sampling fields ({@code max_tokens}, {@code temperature},
 * {@code top_p}, {@code n}, {@code stop}, {@code seed}, penalties, {@code logit_bias}, {@code user}) carry over.
 * Unlike OpenAI, a translated request without {@code max_tokens} is not capped at 16 tokens.
 *
 * <p>Fields are checked as OpenAI documents them before any provider sees the request: the sampling fields as for
 * chat ({@link OpenAiRequestChecks#sampling}, but {@code max_tokens: 0} is allowed, to score a prompt with
 * {@code echo}), {@code suffix}, {@code echo}, {@code logprobs} (0 to 5), {@code best_of} (up to 20).
 */
public final class OpenAiCompletionsFormat implements ClientFormat {
  private static final String[] SHARED = {"max_tokens", "temperature", "top_p", "n", "stop", "seed",
      "presence_penalty", "frequency_penalty", "logit_bias", "user"};

  @Override
  public InboundApi api() {
    return InboundApi.OPENAI_COMPLETIONS;
  }

  @Override
  public ChatCall parse(ObjectNode body) {
    String model = Requests.requireModel(body);
    boolean stream = Requests.optionalBoolean(body, "stream");
    boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
    ObjectNode canonical = Json.object();
    canonical.put("model", model);
    String nativeOnly = null;

    JsonNode prompt = body.get("prompt");
    String text;
    if (prompt == null || prompt.isNull()) {
      throw GatewayError.INVALID_REQUEST.exception("prompt: is required", "prompt");
    } else if (prompt.isString()) {
      text = prompt.asString();
    } else if (prompt.isArray() && !prompt.isEmpty() && allStrings(prompt)) {
      text = prompt.get(0).asString();
      if (prompt.size() > 1) {
        nativeOnly = "prompt: several prompts in one request reach only providers with a native completions API "
            + "(openai, azure-openai, openai-compatible); send one prompt per request";
      }
    } else if (prompt.isArray() && !prompt.isEmpty() && isTokens(prompt)) {
      text = "";
      nativeOnly = "prompt: token arrays reach only providers with a native completions API (openai, azure-openai, "
          + "openai-compatible); send the prompt as text";
    } else {
      throw GatewayError.INVALID_REQUEST.exception(
          "prompt: must be a string, an array of strings or an array of token ids", "prompt");
    }
    canonical.putArray("messages").addObject().put("role", "user").put("content", text);
    OpenAiRequestChecks.sampling(body, 0);
    Requests.optionalString(body, "suffix");
    Requests.optionalBoolean(body, "echo");
    Requests.optionalInteger(body, "logprobs", 0, 5);
    Requests.optionalInteger(body, "best_of", 0, 20);

    if (body.path("suffix").isString() && !body.path("suffix").asString().isEmpty()) {
      nativeOnly = first(nativeOnly, "suffix: insertion (suffix) reaches only providers with a native completions "
          + "API (openai, azure-openai, openai-compatible)");
    }
    if (body.path("echo").asBoolean(false)) {
      nativeOnly = first(nativeOnly, "echo: echoing the prompt needs a native completions API (openai, "
          + "azure-openai, openai-compatible)");
    }
    if (body.hasNonNull("logprobs")) {
      nativeOnly = first(nativeOnly, "logprobs: completion logprobs need a native completions API (openai, "
          + "azure-openai, openai-compatible)");
    }
    if (body.path("best_of").asInt(1) > 1) {
      nativeOnly = first(nativeOnly, "best_of: needs a native completions API (openai, azure-openai, "
          + "openai-compatible)");
    }
    for (String field : SHARED) {
      JsonNode value = body.get(field);
      if (value != null && !value.isNull()) {
        canonical.set(field, value);
      }
    }
    if (stream) {
      canonical.put("stream", true);
      if (includeUsage) {
        canonical.putObject("stream_options").put("include_usage", true);
      }
    }
    if (nativeOnly != null) {
      canonical.put(ChatCall.NATIVE_ONLY, nativeOnly);
    }
    return new ChatCall(api(), body, canonical, stream, includeUsage, model);
  }

  private static boolean allStrings(JsonNode array) {
    for (JsonNode element : array) {
      if (!element.isString()) {
        return false;
      }
    }
    return true;
  }

  /** One token array ({@code [1,2,3]}) or several ({@code [[1,2],[3]]}). */
  private static boolean isTokens(JsonNode array) {
    for (JsonNode element : array) {
      if (element.isIntegralNumber()) {
        continue;
      }
      if (!element.isArray() || element.isEmpty()) {
        return false;
      }
      for (JsonNode token : element) {
        if (!token.isIntegralNumber()) {
          return false;
        }
      }
    }
    return true;
  }

  private static String first(String existing, String reason) {
    return existing != null ? existing : reason;
  }

  @Override
  public ObjectNode encodeResponse(ObjectNode completion, ChatCall call) {
    ObjectNode root = Json.object();
    root.put("id", completionId(completion));
    root.put("object", "text_completion");
    root.put("created", completion.path("created").asLong(System.currentTimeMillis() / 1000));
    root.put("model", completion.path("model").asString(call.requestedModel()));
    ArrayNode choices = root.putArray("choices");
    for (JsonNode choice : completion.path("choices")) {
      ObjectNode out = choices.addObject();
      out.put("text", text(choice.path("message").get("content")));
      out.put("index", choice.path("index").asInt(0));
      out.putNull("logprobs");
      out.set("finish_reason", finishReason(choice.get("finish_reason")));
    }
    if (completion.hasNonNull("system_fingerprint")) {
      root.set("system_fingerprint", completion.get("system_fingerprint"));
    }
    if (completion.path("usage").isObject()) {
      root.set("usage", completion.get("usage"));
    }
    return root;
  }

  /** {@code chatcmpl-abc} becomes {@code cmpl-abc}, the legacy prefix. */
  static String completionId(JsonNode chunkOrCompletion) {
    String id = chunkOrCompletion.path("id").asString("");
    if (id.startsWith("chatcmpl-")) {
      return "cmpl-" + id.substring("chatcmpl-".length());
    }
    return id.isEmpty() ? "cmpl-" + OpenAiResponsesFormat.newSuffix() : id;
  }

  /** Tool calls have no place in a text completion; their finish reason reads as a plain stop. */
  static JsonNode finishReason(JsonNode reason) {
    if (reason == null || reason.isNull()) {
      return Json.mapper().getNodeFactory().nullNode();
    }
    String value = reason.asString("stop");
    return Json.mapper().getNodeFactory().stringNode("tool_calls".equals(value) || "function_call".equals(value)
        ? "stop" : value);
  }

  private static String text(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isString()) {
      return content.asString();
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode part : content) {
      text.append(part.path("text").asString(""));
    }
    return text.toString();
  }

  @Override
  public ClientStreamEncoder newStreamEncoder(ChatCall call) {
    return new StreamEncoder(call);
  }

  /** Canonical chunks to {@code text_completion} chunks, {@code data: [DONE]} at the end. */
  private static final class StreamEncoder implements ClientStreamEncoder {
    private final ChatCall call;

    StreamEncoder(ChatCall call) {
      this.call = call;
    }

    @Override
    public void onChunk(ObjectNode chunk, StringBuilder out) {
      ObjectNode root = Json.object();
      root.put("id", completionId(chunk));
      root.put("object", "text_completion");
      root.put("created", chunk.path("created").asLong(System.currentTimeMillis() / 1000));
      root.put("model", chunk.path("model").asString(call.requestedModel()));
      ArrayNode choices = root.putArray("choices");
      for (JsonNode choice : chunk.path("choices")) {
        JsonNode content = choice.path("delta").get("content");
        String text = content != null && content.isString() ? content.asString() : "";
        JsonNode finish = choice.get("finish_reason");
        boolean finished = finish != null && finish.isString();
        if (text.isEmpty() && !finished) {
          continue; // role-only and tool-call deltas have no text to send
        }
        ObjectNode c = choices.addObject();
        c.put("text", text);
        c.put("index", choice.path("index").asInt(0));
        c.putNull("logprobs");
        c.set("finish_reason", finishReason(finish));
      }
      JsonNode usage = chunk.get("usage");
      boolean hasUsage = usage != null && usage.isObject();
      if (hasUsage && call.includeUsage()) {
        root.set("usage", usage);
      } else if (choices.isEmpty()) {
        return;
      }
      out.append("data: ").append(Json.mapper().writeValueAsString(root)).append("\n\n");
    }

    @Override
    public void onEnd(StringBuilder out) {
      out.append("data: [DONE]\n\n");
    }

    @Override
    public void onError(GatewayError error, String message, StringBuilder out) {
      out.append(ErrorShape.openAiStreamEvent(error, message));
    }
  }
}
