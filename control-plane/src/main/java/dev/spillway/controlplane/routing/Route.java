package dev.spillway.controlplane.routing;

import dev.spillway.config.RetryConfig;
import dev.spillway.config.RoutingStrategy;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A route as stored: a client-facing model name, weighted targets, ordered fallbacks, retry policy, how targets are
 * ordered ({@code strategy}) and whether a session keeps to its provider key ({@code sticky}).
 */
public record Route(
    UUID id,
    String model,
    List<Target> targets,
    List<Target> fallbacks,
    RetryConfig retry,
    RoutingStrategy strategy,
    boolean sticky,
    Instant createdAt,
    Instant updatedAt) {

  public record Target(UUID providerId, String providerName, String model, int weight) {}

  public Route {
    targets = List.copyOf(targets);
    fallbacks = List.copyOf(fallbacks);
    strategy = strategy == null ? RoutingStrategy.WEIGHTED : strategy;
  }
}
