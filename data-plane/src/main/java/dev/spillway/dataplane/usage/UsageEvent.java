package dev.spillway.dataplane.usage;

import dev.spillway.dataplane.json.Json;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;
import tools.jackson.core.JsonGenerator;

/**
 * One request's usage record, as the node journals it and ships it to the control plane ({@code POST
 * /internal/v1/usage}, one JSON object per line). Idempotent by ({@code occurredAt}, {@code requestId}): the
 * control plane stores a replayed event once, so both are fixed when the event is made and never recomputed.
 *
 * @param usageSource   {@code provider} (reported by the provider), {@code estimated} (counted by the node's
 *                      tokenizer because the provider reported none) or {@code none} (no provider answered)
 * @param unpriced      the served model has no price: {@code costUsd} is zero but must not be taken as free
 * @param shadowRefusal a limit in shadow mode that would have refused this request, or null
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
    int attempts,
    long latencyMs,
    Long ttftMs,
    boolean streamed,
    boolean clientClosed,
    String shadowRefusal) {

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
  }

  /** The event as one line of the wire format, newline included. */
  public byte[] toJsonLine() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    try (JsonGenerator g = Json.mapper().createGenerator(out)) {
      g.writeStartObject();
      g.writeStringProperty("request_id", requestId);
      g.writeStringProperty("occurred_at", occurredAt.toString());
      g.writeStringProperty("node_id", nodeId);
      g.writeStringProperty("org_id", orgId);
      g.writeStringProperty("team_id", teamId);
      g.writeStringProperty("key_id", keyId);
      g.writeStringProperty("route", route);
      g.writeStringProperty("provider", provider);
      g.writeStringProperty("model", model);
      g.writeStringProperty("endpoint", endpoint);
      g.writeNumberProperty("status_code", statusCode);
      g.writeStringProperty("error_code", errorCode);
      g.writeNumberProperty("input_tokens", inputTokens);
      g.writeNumberProperty("output_tokens", outputTokens);
      g.writeNumberProperty("cached_input_tokens", cachedInputTokens);
      g.writeNumberProperty("reasoning_tokens", reasoningTokens);
      g.writeStringProperty("cost_usd", costUsd.toPlainString());
      g.writeBooleanProperty("unpriced", unpriced);
      g.writeStringProperty("usage_source", usageSource);
      g.writeStringProperty("cache_status", cacheStatus);
      g.writeNumberProperty("attempts", attempts);
      g.writeNumberProperty("latency_ms", latencyMs);
      if (ttftMs == null) {
        g.writeNullProperty("ttft_ms");
      } else {
        g.writeNumberProperty("ttft_ms", ttftMs);
      }
      g.writeBooleanProperty("streamed", streamed);
      g.writeBooleanProperty("client_closed", clientClosed);
      g.writeStringProperty("shadow_refusal", shadowRefusal);
      g.writeEndObject();
    }
    out.write('\n');
    return out.toByteArray();
  }
}
