package dev.spillway.dataplane.usage;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import dev.spillway.dataplane.json.Json;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Estimates the input tokens of a canonical request with a BPE tokenizer (jtokkit): {@code o200k_base} for OpenAI's
 * GPT-4o/4.1/5 and o-series models, {@code cl100k_base} for every other model. Other vendors' tokenizers differ, so
 * for them the count is an estimate (within roughly ten to twenty percent for prose).
 *
 * <p>Counting follows OpenAI's published recipe: each message costs its text plus 3 tokens of framing, the reply
 * primer 3 more; tool definitions and tool calls count as their JSON. An image counts
 * {@value #IMAGE_TOKENS} tokens (Anthropic's cost of a full-size image) and a PDF one token per
 * {@value #PDF_BYTES_PER_TOKEN} bytes of its file, a rough guess since the page count is unknown.
 *
 * <p>Loading a vocabulary and counting a large prompt take milliseconds, so both run on one daemon thread off the
 * event loops, with a bounded queue: when it is full, {@link #estimate} fails at once rather than queue work
 * without bound.
 */
public final class TokenEstimator {
  public static final int IMAGE_TOKENS = 1600;
  public static final int PDF_BYTES_PER_TOKEN = 30;
  private static final int TOKENS_PER_MESSAGE = 3;
  private static final int REPLY_PRIMER = 3;

  private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();
  private static final ExecutorService WORKER = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
      new ArrayBlockingQueue<>(64), runnable -> {
        Thread thread = new Thread(runnable, "spillway-token-estimator");
        thread.setDaemon(true);
        return thread;
      });

  private TokenEstimator() {}

  /** Counts on the estimator thread; fails with a {@code RejectedExecutionException} when it is too busy. */
  public static CompletableFuture<Long> estimate(ObjectNode canonical, String model) {
    return CompletableFuture.supplyAsync(() -> count(canonical, model), WORKER);
  }

  /** Runs {@code work} on the estimator thread; fails with a {@code RejectedExecutionException} when it is too busy. */
  public static <T> CompletableFuture<T> onEstimatorThread(java.util.function.Supplier<T> work) {
    return CompletableFuture.supplyAsync(work, WORKER);
  }

  /** Tokens of plain generated text, as {@code model}'s tokenizer (or the nearest one) counts them. */
  public static long countText(String text, String model) {
    return text.isEmpty() ? 0 : REGISTRY.getEncoding(encodingFor(model)).countTokensOrdinary(text);
  }

  /** The encoding used for {@code model}: o200k_base for OpenAI's newer models, else cl100k_base. */
  public static EncodingType encodingFor(String model) {
    String m = model == null ? "" : model.toLowerCase(java.util.Locale.ROOT);
    int slash = m.lastIndexOf('/');
    if (slash >= 0) {
      m = m.substring(slash + 1);
    }
    boolean o200k = m.startsWith("gpt-4o") || m.startsWith("gpt-4.1") || m.startsWith("gpt-4.5")
        || m.startsWith("gpt-5") || m.startsWith("chatgpt-") || m.startsWith("o1") || m.startsWith("o3")
        || m.startsWith("o4");
    return o200k ? EncodingType.O200K_BASE : EncodingType.CL100K_BASE;
  }

  public static long count(ObjectNode canonical, String model) {
    Encoding encoding = REGISTRY.getEncoding(encodingFor(model));
    long tokens = REPLY_PRIMER;
    for (JsonNode message : canonical.path("messages")) {
      tokens += TOKENS_PER_MESSAGE + encoding.countTokensOrdinary(message.path("role").asString(""));
      tokens += content(encoding, message.path("content"));
      String reasoning = message.path("reasoning_content").asString("");
      if (!reasoning.isEmpty()) {
        tokens += encoding.countTokensOrdinary(reasoning);
      }
      for (JsonNode call : message.path("tool_calls")) {
        tokens += encoding.countTokensOrdinary(call.path("function").path("name").asString(""));
        tokens += encoding.countTokensOrdinary(call.path("function").path("arguments").asString(""));
      }
    }
    for (JsonNode tool : canonical.path("tools")) {
      tokens += encoding.countTokensOrdinary(Json.mapper().writeValueAsString(tool.path("function")));
    }
    return tokens;
  }

  private static long content(Encoding encoding, JsonNode content) {
    if (content.isString()) {
      return encoding.countTokensOrdinary(content.asString());
    }
    long tokens = 0;
    for (JsonNode part : content) {
      switch (part.path("type").asString("")) {
        case "text" -> tokens += encoding.countTokensOrdinary(part.path("text").asString(""));
        case "image_url" -> tokens += IMAGE_TOKENS;
        case "file" -> {
          String data = part.path("file").path("file_data").asString("");
          long bytes = (long) (data.length() - data.indexOf(',') - 1) * 3 / 4;
          tokens += Math.max(1, bytes / PDF_BYTES_PER_TOKEN);
        }
        default -> { }
      }
    }
    return tokens;
  }
}
