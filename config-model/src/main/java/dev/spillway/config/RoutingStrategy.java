package dev.spillway.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How a route orders its primary targets (and each target's provider keys) for one request. Fallbacks always follow
 * in their configured order.
 *
 * <ul>
 *   <li>{@code WEIGHTED} — drawn by weight (the default);
 *   <li>{@code LEAST_LATENCY} — the lowest moving average of time to first byte, as this node measured it;
 *   <li>{@code LEAST_BUSY} — the fewest requests in flight from this node;
 *   <li>{@code HEADROOM} — the most room left under the provider's own rate limits, as its
 *       {@code x-ratelimit-remaining-*} / {@code anthropic-ratelimit-*} headers last reported; a key reported at 0
 *       gets nothing until its reset.
 * </ul>
 */
public enum RoutingStrategy {
  WEIGHTED, LEAST_LATENCY, LEAST_BUSY, HEADROOM;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<RoutingStrategy> find(String wireName) {
    return Arrays.stream(values()).filter(s -> s.wireName().equals(wireName)).findFirst();
  }

  /** The accepted wire names, for error messages. */
  public static String wireNames() {
    return Arrays.stream(values()).map(RoutingStrategy::wireName).collect(Collectors.joining(", "));
  }

  @JsonCreator
  static RoutingStrategy fromWire(String wireName) {
    return find(wireName).orElseThrow(() -> new IllegalArgumentException(
        "unknown routing strategy: " + wireName + " (expected: " + wireNames() + ")"));
  }
}
