package dev.spillway.controlplane.declarative;

import dev.spillway.controlplane.common.BudgetBody;
import dev.spillway.controlplane.common.CacheBody;
import dev.spillway.controlplane.common.LoggingBody;
import dev.spillway.controlplane.common.RateLimitBody;
import dev.spillway.controlplane.provider.ProviderRequest;
import dev.spillway.controlplane.routing.RouteRequest;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The shape of {@code spillway.yaml}: what a deployment keeps in git. Every list is optional; resources are
 * matched by name (routes by {@code model}, virtual keys by team and name, routing rules by name) and created or
 * updated, never deleted.
 * Secrets appear only as environment references ({@code ${SPILLWAY_SECRET_OPENAI_API_KEY}}).
 */
public record ConfigFile(
    OrgSpec org,
    List<TeamSpec> teams,
    List<ProviderSpec> providers,
    List<RouteRequest> routes,
    List<KeySpec> virtualKeys,
    List<RuleSpec> routingRules) {

  public ConfigFile {
    teams = teams == null ? List.of() : teams;
    providers = providers == null ? List.of() : providers;
    routes = routes == null ? List.of() : routes;
    virtualKeys = virtualKeys == null ? List.of() : virtualKeys;
    routingRules = routingRules == null ? List.of() : routingRules;
  }

  /** A routing rule by name; {@code route} is a route's model, {@code match.team} a team's name. */
  public record RuleSpec(String name, Integer priority, RuleMatchSpec match, String route) {}

  public record RuleMatchSpec(String team, Map<String, Object> keyMetadata, Map<String, Object> headers,
      String model) {}

  public record OrgSpec(String name, BudgetBody budget, RateLimitBody rateLimit) {}

  public record TeamSpec(String name, String description, BudgetBody budget, RateLimitBody rateLimit,
      CacheBody cache, LoggingBody logging, Map<String, Object> metadata) {}

  public record ProviderSpec(String name, String type, String baseUrl, List<ProviderKeySpec> keys,
      Map<String, String> settings, ProviderRequest.TimeoutsBody timeouts, ProviderRequest.BreakerBody breaker) {}

  /** {@code value} must be an environment reference. */
  public record ProviderKeySpec(String name, String value, Integer weight) {
    @Override
    public String toString() {
      return "ProviderKeySpec[" + name + "]";
    }
  }

  /**
   * A virtual key of a team (by team name). {@code key} must be an environment reference whose value is the
   * secret ({@code sk-sw-…}), so the deployment keeps the secret in its own secret store and Spillway stores only
   * the hash; changing the variable's value replaces the secret.
   */
  public record KeySpec(String name, String team, String key, List<String> models, BudgetBody budget,
      RateLimitBody rateLimit, CacheBody cache, LoggingBody logging, Instant expiresAt,
      Map<String, Object> metadata) {
    @Override
    public String toString() {
      return "KeySpec[" + team + "/" + name + "]";
    }
  }
}
