package dev.spillway.controlplane.routing;

import dev.spillway.config.RetryConfig;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Fields;
import dev.spillway.controlplane.provider.Provider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Body of POST /api/v1/routes (and the merged form of PATCH). */
public record RouteRequest(String model, List<TargetBody> targets, List<TargetBody> fallbacks, RetryBody retry) {

  public record TargetBody(String provider, String model, Integer weight) {}

  public record RetryBody(Integer maxAttempts, Long initialBackoffMs) {}

  public record Valid(String model, List<Route.Target> targets, List<Route.Target> fallbacks, RetryConfig retry) {}

  /** Checks every field against the providers that exist (by name). */
  public Valid validate(Map<String, Provider> providersByName) {
    String validModel = Fields.requireName("model", model, 200);
    if (validModel.chars().anyMatch(Character::isWhitespace)) {
      throw ApiException.invalid("model", "must not contain whitespace");
    }
    if (targets == null || targets.isEmpty()) {
      throw ApiException.invalid("targets", "needs at least one target");
    }
    if (targets.size() > 20) {
      throw ApiException.invalid("targets", "has more than 20 entries");
    }
    List<Route.Target> validTargets = targets("targets", targets, providersByName, true);
    if (validTargets.stream().mapToInt(Route.Target::weight).sum() == 0) {
      throw ApiException.invalid("targets", "weights sum to 0; at least one target needs a weight > 0");
    }
    List<TargetBody> fallbackBodies = fallbacks == null ? List.of() : fallbacks;
    if (fallbackBodies.size() > 10) {
      throw ApiException.invalid("fallbacks", "has more than 10 entries");
    }
    List<Route.Target> validFallbacks = targets("fallbacks", fallbackBodies, providersByName, false);
    return new Valid(validModel, validTargets, validFallbacks, validRetry());
  }

  private RetryConfig validRetry() {
    if (retry == null) {
      return RetryConfig.NONE;
    }
    int attempts = retry.maxAttempts() == null ? 1 : retry.maxAttempts();
    long backoff = retry.initialBackoffMs() == null ? 0 : retry.initialBackoffMs();
    if (attempts < 1 || attempts > 10) {
      throw ApiException.invalid("retry.max_attempts", "must be between 1 and 10 (got " + attempts + ")");
    }
    if (backoff < 0 || backoff > 60_000) {
      throw ApiException.invalid("retry.initial_backoff_ms", "must be between 0 and 60000 (got " + backoff + ")");
    }
    return new RetryConfig(attempts, backoff);
  }

  private static List<Route.Target> targets(String field, List<TargetBody> bodies, Map<String, Provider> providers,
      boolean weighted) {
    List<Route.Target> result = new ArrayList<>();
    for (int i = 0; i < bodies.size(); i++) {
      TargetBody body = bodies.get(i);
      String at = field + "[" + i + "]";
      if (body == null) {
        throw ApiException.invalid(at, "must be an object");
      }
      if (body.provider() == null || body.provider().isBlank()) {
        throw ApiException.invalid(at + ".provider", "is required");
      }
      Provider provider = providers.get(body.provider());
      if (provider == null) {
        throw ApiException.invalid(at + ".provider", "unknown provider '" + body.provider() + "' (providers: "
            + (providers.isEmpty() ? "none" : String.join(", ", new TreeSet<>(providers.keySet()))) + ")");
      }
      String upstreamModel = Fields.requireName(at + ".model", body.model(), 200);
      int weight = body.weight() == null ? 1 : body.weight();
      if (weighted && (weight < 0 || weight > 1000)) {
        throw ApiException.invalid(at + ".weight", "must be between 0 and 1000 (got " + weight + ")");
      }
      result.add(new Route.Target(provider.id(), provider.name(), upstreamModel, weighted ? weight : 0));
    }
    return result;
  }
}
