package dev.spillway.controlplane.usage;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;

/**
 * One request as a node reports it (a line of {@code POST /internal/v1/usage}), checked. {@code requestId} and
 * {@code occurredAt} identify it: a node fixes both when the request starts, so a replayed batch carries the same
 * pair and is recognised. Nullable: everything a request refused before routing (or before its key was known) has
 * not got, and the optional measurements.
 *
 * @param unpriced     the served model has no price: {@code costUsd} is 0 for want of a price, not because the
 *                     request was free
 * @param usageSource  {@code provider}, {@code estimated} or {@code none}; null from nodes that do not say
 * @param shadowRefusal the limit in shadow mode that would have refused the request, e.g. {@code rate_limit: key
 *                     rpm 60}, else null
 * @param cacheStatus  null (cache off), {@code hit-exact}, {@code hit-semantic}, {@code miss}, {@code bypass},
 *                     {@code shadow-hit} or {@code shadow-miss}. On a hit {@code inputTokens}/{@code outputTokens}
 *                     are what the cached answer stood for (saved, not spent) and {@code costUsd} is 0
 * @param cacheSavedUsd what a hit saved at the price of the model that first answered; 0 otherwise and from nodes
 *                     that do not say
 * @param log          the rest of the request's log record, or null from nodes that do not send one
 */
public record UsageEvent(
    String requestId,
    Instant occurredAt,
    String nodeId,
    UUID orgId,
    UUID teamId,
    UUID keyId,
    String route,
    String provider,
    String model,
    String endpoint,
    int statusCode,
    String errorCode,
    int inputTokens,
    int outputTokens,
    int cachedInputTokens,
    int reasoningTokens,
    BigDecimal costUsd,
    boolean unpriced,
    String usageSource,
    String cacheStatus,
    Float cacheSimilarity,
    int attempts,
    Integer latencyMs,
    Integer ttftMs,
    boolean streamed,
    boolean clientClosed,
    String shadowRefusal,
    BigDecimal cacheSavedUsd,
    RequestLogDetail log) {}
