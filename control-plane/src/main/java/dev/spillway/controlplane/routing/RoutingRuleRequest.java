package dev.spillway.controlplane.routing;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Fields;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Body of POST /api/v1/routing-rules (and the merged form of PATCH):
 * {@code {"name", "priority", "match": {"team_id", "key_metadata", "headers", "model"}, "route"}}, where
 * {@code route} is the model name of an existing route. At least one condition is required.
 */
public record RoutingRuleRequest(String name, Integer priority, MatchBody match, String route) {
  static final int MAX_PRIORITY = 1_000_000;
  static final int MAX_ENTRIES = 20;
  static final int MAX_NAME_LENGTH = 100;
  static final int MAX_VALUE_LENGTH = 500;
  /** An HTTP field name (RFC 9110 token), lower-case. */
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9a-z-]{1,100}");
  /** Credentials have no place in config that the dashboard and audit log show. */
  private static final Set<String> SECRET_HEADERS = Set.of("authorization", "x-api-key", "cookie",
      "proxy-authorization");

  /** The conditions; every one given must hold. Values are strings, compared exactly. */
  public record MatchBody(String teamId, Map<String, Object> keyMetadata, Map<String, Object> headers,
      String model) {}

  public record Valid(String name, int priority, UUID teamId, Map<String, String> keyMetadata,
      Map<String, String> headers, String modelPattern, Route route) {}

  /** Checks every field; {@code routesByModel} finds routes by client-facing name, {@code teamExists} teams. */
  public Valid validate(Function<String, Optional<Route>> routesByModel, Predicate<UUID> teamExists) {
    String validName = Fields.requireName("name", name, MAX_NAME_LENGTH);
    int validPriority = priority == null ? 0 : priority;
    if (validPriority < -MAX_PRIORITY || validPriority > MAX_PRIORITY) {
      throw ApiException.invalid("priority", "must be between " + -MAX_PRIORITY + " and " + MAX_PRIORITY
          + " (got " + validPriority + ")");
    }
    MatchBody m = match == null ? new MatchBody(null, null, null, null) : match;
    UUID team = null;
    if (m.teamId() != null) {
      try {
        team = UUID.fromString(m.teamId());
      } catch (IllegalArgumentException e) {
        throw ApiException.invalid("match.team_id", "is not a team id (got '" + m.teamId() + "')");
      }
      if (!teamExists.test(team)) {
        throw ApiException.invalid("match.team_id", "team " + team + " does not exist");
      }
    }
    Map<String, String> metadata = strings("match.key_metadata", m.keyMetadata(), false);
    Map<String, String> headers = strings("match.headers", m.headers(), true);
    String pattern = null;
    if (m.model() != null) {
      pattern = Fields.requireName("match.model", m.model(), 200);
      if (pattern.chars().anyMatch(Character::isWhitespace)) {
        throw ApiException.invalid("match.model", "must not contain whitespace");
      }
    }
    if (team == null && metadata.isEmpty() && headers.isEmpty() && pattern == null) {
      throw ApiException.invalid("match", "needs at least one condition (team_id, key_metadata, headers or model); "
          + "a rule without one would capture every request");
    }
    if (route == null || route.isBlank()) {
      throw ApiException.invalid("route", "is required (the model name of a route)");
    }
    Route target = routesByModel.apply(route.strip()).orElseThrow(() -> ApiException.invalid("route",
        "no route named '" + route + "'"));
    return new Valid(validName, validPriority, team, metadata, headers, pattern, target);
  }

  private static Map<String, String> strings(String field, Map<String, Object> entries, boolean headerNames) {
    if (entries == null) {
      return Map.of();
    }
    if (entries.size() > MAX_ENTRIES) {
      throw ApiException.invalid(field, "has more than " + MAX_ENTRIES + " entries");
    }
    Map<String, String> result = new LinkedHashMap<>();
    for (Map.Entry<String, Object> entry : entries.entrySet()) {
      String key = headerNames ? entry.getKey().toLowerCase(Locale.ROOT) : entry.getKey();
      String at = field + "." + key;
      if (headerNames && !HEADER_NAME.matcher(key).matches()) {
        throw ApiException.invalid(field, "'" + entry.getKey() + "' is not a header name");
      }
      if (headerNames && SECRET_HEADERS.contains(key)) {
        throw ApiException.invalid(at, "credentials cannot be matched; match on the key's team or metadata");
      }
      if (key.isEmpty() || key.length() > MAX_NAME_LENGTH || key.chars().anyMatch(Character::isISOControl)) {
        throw ApiException.invalid(field, "names must be 1-" + MAX_NAME_LENGTH
            + " characters without control characters");
      }
      if (!(entry.getValue() instanceof String value)) {
        throw ApiException.invalid(at, "must be a string");
      }
      if (value.length() > MAX_VALUE_LENGTH || value.chars().anyMatch(Character::isISOControl)) {
        throw ApiException.invalid(at, "must be at most " + MAX_VALUE_LENGTH
            + " characters without control characters");
      }
      if (result.put(key, value) != null) {
        throw ApiException.invalid(at, "is given twice");
      }
    }
    return result;
  }
}
