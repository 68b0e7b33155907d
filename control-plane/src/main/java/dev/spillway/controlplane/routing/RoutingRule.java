package dev.spillway.controlplane.routing;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A conditional routing rule as stored: a request matching every condition goes to the route {@code routeId}
 * (whose client-facing name is {@code routeModel}) instead of the one its model names.
 *
 * @param teamId       the calling key's team, or null for any
 * @param keyMetadata  entries the calling key's metadata must hold, empty for any
 * @param headers      request headers (lower-case names) that must hold these values, empty for any
 * @param modelPattern the requested model with {@code *} wildcards, or null for any
 */
public record RoutingRule(
    UUID id,
    String name,
    int priority,
    UUID teamId,
    Map<String, String> keyMetadata,
    Map<String, String> headers,
    String modelPattern,
    UUID routeId,
    String routeModel,
    Instant createdAt,
    Instant updatedAt) {

  public RoutingRule {
    keyMetadata = keyMetadata == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(keyMetadata));
    headers = headers == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(headers));
  }
}
