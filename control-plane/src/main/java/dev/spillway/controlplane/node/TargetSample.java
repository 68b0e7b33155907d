package dev.spillway.controlplane.node;

import dev.spillway.controlplane.common.ApiException;
import java.time.Instant;
import java.util.Set;

/**
 * What one node reports about one (provider, key, upstream model) in its heartbeat: the breaker's state, the
 * moving average of time to first byte, the error rate over the breaker window, requests in flight and served, a
 * 429 cooldown, a refused credential and what the provider's own rate-limit headers last said was left.
 */
public record TargetSample(
    String provider,
    String key,
    String model,
    String breaker,
    Double ewmaTtfbMs,
    Double errorRate,
    Long inFlight,
    Long requests,
    Instant cooldownUntil,
    Boolean badKey,
    Long remainingRequests,
    Long remainingTokens) {

  public static final String CLOSED = "closed";
  public static final String HALF_OPEN = "half_open";
  public static final String OPEN = "open";
  private static final Set<String> STATES = Set.of(CLOSED, HALF_OPEN, OPEN);

  /** Refuses a sample a node could not have meant, naming the field under {@code at} (e.g. {@code targets[3]}). */
  public void validate(String at) {
    text(at + ".provider", provider, true);
    text(at + ".key", key, false);
    text(at + ".model", model, true);
    if (breaker == null || !STATES.contains(breaker)) {
      throw ApiException.invalid(at + ".breaker", "must be closed, half_open or open (got "
          + (breaker == null ? "nothing" : "'" + breaker + "'") + ")");
    }
    if (ewmaTtfbMs != null && (!Double.isFinite(ewmaTtfbMs) || ewmaTtfbMs < 0)) {
      throw ApiException.invalid(at + ".ewma_ttfb_ms", "must be a number >= 0");
    }
    if (errorRate != null && (!Double.isFinite(errorRate) || errorRate < 0 || errorRate > 1)) {
      throw ApiException.invalid(at + ".error_rate", "must be between 0 and 1");
    }
    notNegative(at + ".in_flight", inFlight);
    notNegative(at + ".requests", requests);
    notNegative(at + ".remaining_requests", remainingRequests);
    notNegative(at + ".remaining_tokens", remainingTokens);
  }

  private static void text(String field, String value, boolean required) {
    if (value == null || value.isEmpty()) {
      if (required) {
        throw ApiException.invalid(field, "is required");
      }
      return;
    }
    if (value.length() > 200) {
      throw ApiException.invalid(field, "is longer than 200 characters");
    }
  }

  private static void notNegative(String field, Long value) {
    if (value != null && value < 0) {
      throw ApiException.invalid(field, "must be >= 0 (got " + value + ")");
    }
  }
}
