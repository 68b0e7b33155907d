package dev.spillway.config;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A declarative routing rule: when a request matches every condition given, it goes to {@code route} instead of
 * the route its {@code model} names. Rules are evaluated by ascending {@code priority} (then id), and the first match
 * wins; a request no rule matches is routed by its model as usual. There is no scripting: only equality on the team,
 * key metadata and headers, and a {@code *} wildcard on the model name.
 *
 * @param priority     lower first
 * @param teamId       the calling key's team, or null for any
 * @param keyMetadata  entries the calling key's metadata must hold (string equality), empty for any
 * @param headers      request headers (lower-case names) that must hold these values, empty for any
 * @param modelPattern the requested model, where {@code *} matches any run of characters; null for any
 * @param route        the client-facing model name of the route to use
 */
public record RoutingRuleConfig(
    String id,
    String name,
    int priority,
    String teamId,
    Map<String, String> keyMetadata,
    Map<String, String> headers,
    String modelPattern,
    String route) {

  public RoutingRuleConfig {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(route, "route");
    keyMetadata = keyMetadata == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(keyMetadata));
    headers = headers == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(headers));
  }

  /** Whether the rule names any condition at all (a rule without one would capture every request). */
  public boolean hasCondition() {
    return teamId != null || !keyMetadata.isEmpty() || !headers.isEmpty() || modelPattern != null;
  }
}
