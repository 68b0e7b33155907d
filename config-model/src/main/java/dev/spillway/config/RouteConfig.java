package dev.spillway.config;

import java.util.List;
import java.util.Objects;

/**
 * A client-facing model name and where its requests go.
 *
 * @param model     what clients send as {@code model}
 * @param targets   weighted primary targets; one is picked per request
 * @param fallbacks tried in order when the picked target fails
 * @param retry     attempts per target before falling back
 */
public record RouteConfig(
    String id, String model, List<RouteTargetConfig> targets, List<RouteTargetConfig> fallbacks, RetryConfig retry) {

  public RouteConfig {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(model, "model");
    targets = targets == null ? List.of() : List.copyOf(targets);
    fallbacks = fallbacks == null ? List.of() : List.copyOf(fallbacks);
    retry = retry == null ? RetryConfig.NONE : retry;
  }
}
