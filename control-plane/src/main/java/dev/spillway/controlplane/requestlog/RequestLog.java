package dev.spillway.controlplane.requestlog;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/**
 * One logged request as the admin API lists it: everything but the bodies and the attempts (those are on
 * {@link RequestLogDetail}). Field names follow CONTRACT.md §4: {@code time}, {@code status} (the HTTP status the
 * client got), {@code cache} (the cache result).
 *
 * @param requestStored  whether a request body was stored (the team's content policy allowed it)
 * @param responseStored whether a response body was stored
 */
public record RequestLog(
    String requestId,
    Instant time,
    String nodeId,
    UUID teamId,
    UUID keyId,
    String clientApi,
    String userAgent,
    String route,
    String requestedModel,
    String provider,
    String model,
    int status,
    String errorCode,
    String errorMessage,
    long latencyMs,
    Long ttftMs,
    long inputTokens,
    long outputTokens,
    long cachedInputTokens,
    long reasoningTokens,
    BigDecimal costUsd,
    String cache,
    Float cacheSimilarity,
    boolean streamed,
    boolean clientClosed,
    String replayOf,
    String contentPolicy,
    boolean requestStored,
    boolean responseStored,
    boolean requestTruncated,
    boolean responseTruncated) {

  /** Total tokens, for tables. */
  public long totalTokens() {
    return inputTokens + outputTokens;
  }

  /** {@code 2xx}, {@code 4xx}, {@code 5xx}: for colouring. */
  public String statusClass() {
    return (status / 100) + "xx";
  }
}
