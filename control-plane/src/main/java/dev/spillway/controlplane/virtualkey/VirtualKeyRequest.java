package dev.spillway.controlplane.virtualkey;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.CacheConfig;
import dev.spillway.config.LoggingConfig;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.BudgetBody;
import dev.spillway.controlplane.common.CacheBody;
import dev.spillway.controlplane.common.Fields;
import dev.spillway.controlplane.common.LoggingBody;
import dev.spillway.controlplane.common.RateLimitBody;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Body of POST /api/v1/virtual-keys (and the merged form of PATCH). */
public record VirtualKeyRequest(
    String name,
    String teamId,
    List<String> models,
    BudgetBody budget,
    RateLimitBody rateLimit,
    CacheBody cache,
    LoggingBody logging,
    Instant expiresAt,
    Map<String, Object> metadata) {

  public record Valid(String name, UUID teamId, List<String> models, BudgetConfig budget, RateLimitConfig rateLimit,
      CacheConfig cache, LoggingConfig logging, Instant expiresAt, Map<String, Object> metadata) {}

  static final int MAX_METADATA_KEY_LENGTH = 100;
  static final int MAX_METADATA_VALUE_LENGTH = 500;

  public Valid validate(Instant now, boolean creating) {
    return validate(now, creating, Map.of());
  }

  /**
   * Checks every field. {@code metadata} is a flat object of strings, since routing rules match it by string
   * equality; an entry the key already holds ({@code stored}) passes as it is, so keys from before this rule can
   * still be edited.
   */
  public Valid validate(Instant now, boolean creating, Map<String, Object> stored) {
    String validName = Fields.requireName("name", name, 100);
    if (teamId == null || teamId.isBlank()) {
      throw ApiException.invalid("team_id", "is required");
    }
    UUID team;
    try {
      team = UUID.fromString(teamId);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("team_id", "is not a team id");
    }
    List<String> validModels = new ArrayList<>();
    if (models != null) {
      if (models.size() > 200) {
        throw ApiException.invalid("models", "has more than 200 entries");
      }
      for (int i = 0; i < models.size(); i++) {
        validModels.add(Fields.requireName("models[" + i + "]", models.get(i), 200));
      }
    }
    if (creating && expiresAt != null && !expiresAt.isAfter(now)) {
      throw ApiException.invalid("expires_at", "must be in the future");
    }
    validateMetadata(stored);
    return new Valid(validName, team, List.copyOf(new LinkedHashSet<>(validModels)), Fields.budget("budget", budget),
        Fields.rateLimit("rate_limit", rateLimit), Fields.cache("cache", cache), Fields.logging("logging", logging),
        expiresAt,
        metadata == null ? Map.of() : metadata);
  }

  private void validateMetadata(Map<String, Object> stored) {
    if (metadata == null) {
      return;
    }
    // Count, names and size in bytes as for teams; below, what routing rules need of a key's values.
    Fields.metadata("metadata", metadata);
    for (Map.Entry<String, Object> entry : metadata.entrySet()) {
      String name = entry.getKey();
      String field = "metadata." + name;
      if (name.isEmpty() || name.length() > MAX_METADATA_KEY_LENGTH
          || name.chars().anyMatch(Character::isISOControl)) {
        throw ApiException.invalid("metadata", "names must be 1-" + MAX_METADATA_KEY_LENGTH
            + " characters without control characters");
      }
      Object value = entry.getValue();
      if (stored.containsKey(name) && java.util.Objects.equals(stored.get(name), value)) {
        continue;
      }
      if (!(value instanceof String text)) {
        throw ApiException.invalid(field, "must be a string (got " + (value == null ? "null" : "a "
            + jsonType(value)) + "); routing rules compare metadata as text");
      }
      if (text.length() > MAX_METADATA_VALUE_LENGTH || text.chars().anyMatch(Character::isISOControl)) {
        throw ApiException.invalid(field, "must be at most " + MAX_METADATA_VALUE_LENGTH
            + " characters without control characters");
      }
    }
  }

  private static String jsonType(Object value) {
    if (value instanceof Number) {
      return "number";
    }
    if (value instanceof Boolean) {
      return "boolean";
    }
    if (value instanceof Map) {
      return "object";
    }
    return value instanceof List ? "array" : "value";
  }
}
