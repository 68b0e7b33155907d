package dev.spillway.dataplane.usage;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
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

  /**
   * The event as one line of the wire format, newline included. Written by hand: it runs once per request on the
   * event loop, and a Jackson generator made this the largest single cost of recording usage (a profile of the
   * chat benchmark put 14 % of the node's CPU in it).
   */
  public byte[] toJsonLine() {
    StringBuilder b = new StringBuilder(log == null ? 640 : 1024
        + (log.requestBody() == null ? 0 : log.requestBody().length())
        + (log.responseBody() == null ? 0 : log.responseBody().length()));
    b.append('{');
    string(b, "request_id", requestId).append(',');
    string(b, "occurred_at", occurredAt.toString()).append(',');
    string(b, "node_id", nodeId).append(',');
    string(b, "org_id", orgId).append(',');
    string(b, "team_id", teamId).append(',');
    string(b, "key_id", keyId).append(',');
    string(b, "route", route).append(',');
    string(b, "provider", provider).append(',');
    string(b, "model", model).append(',');
    string(b, "endpoint", endpoint).append(',');
    number(b, "status_code", statusCode).append(',');
    string(b, "error_code", errorCode).append(',');
    number(b, "input_tokens", inputTokens).append(',');
    number(b, "output_tokens", outputTokens).append(',');
    number(b, "cached_input_tokens", cachedInputTokens).append(',');
    number(b, "reasoning_tokens", reasoningTokens).append(',');
    string(b, "cost_usd", costUsd.toPlainString()).append(',');
    bool(b, "unpriced", unpriced).append(',');
    string(b, "usage_source", usageSource).append(',');
    string(b, "cache_status", cacheStatus).append(',');
    b.append("\"cache_similarity\":").append(cacheSimilarity == null ? "null"
        : String.format(java.util.Locale.ROOT, "%.4f", cacheSimilarity)).append(',');
    string(b, "cache_saved_usd", cacheSavedUsd.toPlainString()).append(',');
    number(b, "attempts", attempts).append(',');
    number(b, "latency_ms", latencyMs).append(',');
    b.append("\"ttft_ms\":").append(ttftMs == null ? "null" : Long.toString(ttftMs)).append(',');
    bool(b, "streamed", streamed).append(',');
    bool(b, "client_closed", clientClosed).append(',');
    string(b, "shadow_refusal", shadowRefusal);
    if (log != null) {
      b.append(",\"log\":{");
      string(b, "user_agent", log.userAgent()).append(',');
      string(b, "requested_model", log.requestedModel()).append(',');
      string(b, "error_message", log.errorMessage()).append(',');
      string(b, "replay_of", log.replayOf()).append(',');
      b.append("\"attempts\":[");
      for (int i = 0; i < log.attempts().size(); i++) {
        AttemptRecord a = log.attempts().get(i);
        b.append(i == 0 ? "{" : ",{");
        string(b, "provider", a.provider()).append(',');
        string(b, "model", a.model()).append(',');
        number(b, "status_code", a.statusCode()).append(',');
        string(b, "error_code", a.errorCode()).append(',');
        number(b, "started_ms", a.startedMs()).append(',');
        number(b, "latency_ms", a.latencyMs()).append('}');
      }
      b.append("],");
      string(b, "content_policy", log.contentPolicy()).append(',');
      string(b, "request_body", log.requestBody()).append(',');
      string(b, "response_body", log.responseBody()).append(',');
      bool(b, "request_truncated", log.requestTruncated()).append(',');
      bool(b, "response_truncated", log.responseTruncated());
      b.append('}');
    }
    b.append("}\n");
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static StringBuilder string(StringBuilder b, String name, String value) {
    b.append('"').append(name).append("\":");
    if (value == null) {
      return b.append("null");
    }
    b.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"');
  }

  private static StringBuilder number(StringBuilder b, String name, long value) {
    return b.append('"').append(name).append("\":").append(value);
  }

  private static StringBuilder bool(StringBuilder b, String name, boolean value) {
    return b.append('"').append(name).append("\":").append(value);
  }
}
