package dev.spillway.dataplane.usage;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * One request's usage record, as the node journals it and ships it to the control plane ({@code POST
 * /internal/v1/usage}, one JSON object per line). Idempotent by ({@code occurredAt}, {@code requestId}): the
 * control plane stores a replayed event once, so both are fixed when the event is made and never recomputed.
 *
 * @param usageSource   {@code provider} (reported by the provider), {@code estimated} (counted by the node's
 *                      tokenizer because the provider reported none) or {@code none} (no provider answered)
 * @param unpriced      the served model has no price: {@code costUsd} is zero but must not be taken as free
 * @param shadowRefusal a limit in shadow mode that would have refused this request, or null
 * @param cacheSimilarity the best semantic candidate's cosine similarity, or null
 * @param cacheSavedUsd what a cache hit saved at the price of the model that first answered (zero otherwise)
 * @param log           the rest of the request's log record, or null (the control plane then logs what the event
 *                      itself says)
 */
public record UsageEvent(
    String requestId,
    Instant occurredAt,
    String nodeId,
    String orgId,
    String teamId,
    String keyId,
    String route,
    String provider,
    String model,
    String endpoint,
    int statusCode,
    String errorCode,
    long inputTokens,
    long outputTokens,
    long cachedInputTokens,
    long reasoningTokens,
    BigDecimal costUsd,
    boolean unpriced,
    String usageSource,
    String cacheStatus,
    Double cacheSimilarity,
    BigDecimal cacheSavedUsd,
    int attempts,
    long latencyMs,
    Long ttftMs,
    boolean streamed,
    boolean clientClosed,
    String shadowRefusal,
    RequestLog log) {

  public static final String SOURCE_PROVIDER = "provider";
  public static final String SOURCE_ESTIMATED = "estimated";
  public static final String SOURCE_NONE = "none";

  public UsageEvent {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(occurredAt, "occurredAt");
    Objects.requireNonNull(orgId, "orgId");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(costUsd, "costUsd");
    Objects.requireNonNull(usageSource, "usageSource");
    Objects.requireNonNull(cacheSavedUsd, "cacheSavedUsd");
  }

  /** An event without a log record of its own. */
  public UsageEvent(String requestId, Instant occurredAt, String nodeId, String orgId, String teamId, String keyId,
      String route, String provider, String model, String endpoint, int statusCode, String errorCode,
      long inputTokens, long outputTokens, long cachedInputTokens, long reasoningTokens, BigDecimal costUsd,
      boolean unpriced, String usageSource, String cacheStatus, Double cacheSimilarity, BigDecimal cacheSavedUsd,
      int attempts, long latencyMs, Long ttftMs, boolean streamed, boolean clientClosed, String shadowRefusal) {
    this(requestId, occurredAt, nodeId, orgId, teamId, keyId, route, provider, model, endpoint, statusCode,
        errorCode, inputTokens, outputTokens, cachedInputTokens, reasoningTokens, costUsd, unpriced, usageSource,
        cacheStatus, cacheSimilarity, cacheSavedUsd, attempts, latencyMs, ttftMs, streamed, clientClosed,
        shadowRefusal, null);
  }

  /** The same event with {@code log} as its log record. */
  public UsageEvent withLog(RequestLog log) {
    return new UsageEvent(requestId, occurredAt, nodeId, orgId, teamId, keyId, route, provider, model, endpoint,
        statusCode, errorCode, inputTokens, outputTokens, cachedInputTokens, reasoningTokens, costUsd, unpriced,
        usageSource, cacheStatus, cacheSimilarity, cacheSavedUsd, attempts, latencyMs, ttftMs, streamed,
        clientClosed, shadowRefusal, log);
  }

  /** The event as one line of the wire format, newline included ({@link JsonLineWriter}: no Jackson on this path). */
  public byte[] toJsonLine() {
    JsonLineWriter w = new JsonLineWriter(log == null ? 768 : 1024
        + (log.requestBody() == null ? 0 : log.requestBody().length())
        + (log.responseBody() == null ? 0 : log.responseBody().length()));
    w.string("request_id", requestId)
        .string("occurred_at", occurredAt.toString())
        .string("node_id", nodeId)
        .string("org_id", orgId)
        .string("team_id", teamId)
        .string("key_id", keyId)
        .string("route", route)
        .string("provider", provider)
        .string("model", model)
        .string("endpoint", endpoint)
        .number("status_code", statusCode)
        .string("error_code", errorCode)
        .number("input_tokens", inputTokens)
        .number("output_tokens", outputTokens)
        .number("cached_input_tokens", cachedInputTokens)
        .number("reasoning_tokens", reasoningTokens)
        .string("cost_usd", costUsd.toPlainString())
        .bool("unpriced", unpriced)
        .string("usage_source", usageSource)
        .string("cache_status", cacheStatus)
        .raw("cache_similarity", cacheSimilarity == null ? "null"
            : String.format(java.util.Locale.ROOT, "%.4f", cacheSimilarity))
        .string("cache_saved_usd", cacheSavedUsd.toPlainString())
        .number("attempts", attempts)
        .number("latency_ms", latencyMs)
        .number("ttft_ms", ttftMs)
        .bool("streamed", streamed)
        .bool("client_closed", clientClosed)
        .string("shadow_refusal", shadowRefusal);
    if (log != null) {
      w.beginObject("log")
          .string("user_agent", log.userAgent())
          .string("requested_model", log.requestedModel())
          .string("error_message", log.errorMessage())
          .string("replay_of", log.replayOf())
          .beginArray("attempts");
      for (AttemptRecord a : log.attempts()) {
        w.beginElement()
            .string("provider", a.provider())
            .string("model", a.model())
            .number("status_code", a.statusCode())
            .string("error_code", a.errorCode())
            .number("started_ms", a.startedMs())
            .number("latency_ms", a.latencyMs())
            .endObject();
      }
      w.endArray()
          .string("content_policy", log.contentPolicy())
          .string("request_body", log.requestBody())
          .string("response_body", log.responseBody())
          .bool("request_truncated", log.requestTruncated())
          .bool("response_truncated", log.responseTruncated())
          .endObject();
    }
    return w.line();
  }
}
