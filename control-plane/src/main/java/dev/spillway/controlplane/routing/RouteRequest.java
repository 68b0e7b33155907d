package dev.spillway.controlplane.routing;

import dev.spillway.config.RetryConfig;
import dev.spillway.config.RoutingStrategy;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Fields;
import dev.spillway.controlplane.common.StrictBooleanDeserializer;
import dev.spillway.controlplane.provider.Provider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * Body of POST /api/v1/routes (and the merged form of PATCH). {@code strategy} (absent: {@code weighted}) and
 * {@code sticky} (absent: true) say how a node orders the targets and keys of one request.
 */
public record RouteRequest(String model, List<TargetBody> targets, List<TargetBody> fallbacks, RetryBody retry,
    String strategy, @JsonDeserialize(using = StrictBooleanDeserializer.class) Boolean sticky) {

  static final long MAX_BACKOFF_MS = 300_000;
  static final long MAX_RETRY_AFTER_MS = 600_000;
  static final long MAX_DEADLINE_MS = 3_600_000;

  /** A route with the default strategy and stickiness (weighted, sticky). */
  public RouteRequest(String model, List<TargetBody> targets, List<TargetBody> fallbacks, RetryBody retry) {
    this(model, targets, fallbacks, retry, null, null);
  }

  public record TargetBody(String provider, String model, Integer weight) {}

  /**
   * {@code max_backoff_ms} and {@code max_retry_after_ms} absent or 0 mean the defaults (8 s and 10 s);
   * {@code deadline_ms} absent or 0 means no deadline across attempts.
   */
  public record RetryBody(Integer maxAttempts, Long initialBackoffMs, Long maxBackoffMs, Long maxRetryAfterMs,
      Long deadlineMs) {
    public RetryBody(Integer maxAttempts, Long initialBackoffMs) {
      this(maxAttempts, initialBackoffMs, null, null, null);
    }

    public static RetryBody of(RetryConfig r) {
      return new RetryBody(r.maxAttempts(), r.initialBackoffMs(), r.maxBackoffMs(), r.maxRetryAfterMs(),
          r.deadlineMs());
    }
  }

  public record Valid(String model, List<Route.Target> targets, List<Route.Target> fallbacks, RetryConfig retry,
      RoutingStrategy strategy, boolean sticky) {}

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
    RoutingStrategy validStrategy = strategy == null ? RoutingStrategy.WEIGHTED : RoutingStrategy.find(strategy)
        .orElseThrow(() -> ApiException.invalid("strategy", "must be one of " + RoutingStrategy.wireNames()
            + " (got '" + strategy + "')"));
    return new Valid(validModel, validTargets, validFallbacks, validRetry(), validStrategy,
        sticky == null || sticky);
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
    long maxBackoff = bounded("retry.max_backoff_ms", retry.maxBackoffMs(), MAX_BACKOFF_MS, "0 = 8000");
    long maxRetryAfter = bounded("retry.max_retry_after_ms", retry.maxRetryAfterMs(), MAX_RETRY_AFTER_MS,
        "0 = 10000");
    long deadline = bounded("retry.deadline_ms", retry.deadlineMs(), MAX_DEADLINE_MS, "0 = none");
    return new RetryConfig(attempts, backoff, maxBackoff, maxRetryAfter, deadline);
  }

  private static long bounded(String field, Long value, long max, String zero) {
    if (value == null) {
      return 0;
    }
    if (value < 0 || value > max) {
      throw ApiException.invalid(field, "must be between 0 and " + max + " (" + zero + "; got " + value + ")");
    }
    return value;
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
