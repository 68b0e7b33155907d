package dev.spillway.config;

import java.util.List;
import java.util.Objects;

/**
 * A client-facing model name and where its requests go.
 *
 * @param model     what clients send as {@code model}
 * @param targets   weighted primary targets; their order per request comes from {@code strategy}
 * @param fallbacks tried in order when every target failed
 * @param retry     attempts per target, backoff and the deadline across all attempts
 * @param strategy  how targets and keys are ordered; null means {@link RoutingStrategy#WEIGHTED}
 * @param sticky    whether a request carrying a session id keeps to the provider key earlier requests of that
 *                  session used (so the provider's prompt cache stays warm); null means true
 */
public record RouteConfig(
    String id,
    String model,
    List<RouteTargetConfig> targets,
    List<RouteTargetConfig> fallbacks,
    RetryConfig retry,
    RoutingStrategy strategy,
    Boolean sticky) {

  public RouteConfig {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(model, "model");
    targets = targets == null ? List.of() : List.copyOf(targets);
    fallbacks = fallbacks == null ? List.of() : List.copyOf(fallbacks);
    retry = retry == null ? RetryConfig.NONE : retry;
    strategy = strategy == null ? RoutingStrategy.WEIGHTED : strategy;
    sticky = sticky == null ? Boolean.TRUE : sticky;
  }

  /** A weighted, sticky route. */
  public RouteConfig(String id, String model, List<RouteTargetConfig> targets, List<RouteTargetConfig> fallbacks,
      RetryConfig retry) {
    this(id, model, targets, fallbacks, retry, RoutingStrategy.WEIGHTED, true);
  }

  public boolean isSticky() {
    return sticky;
  }
}
