package dev.spillway.controlplane.virtualkey;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.CacheConfig;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.BudgetBody;
import dev.spillway.controlplane.common.CacheBody;
import dev.spillway.controlplane.common.Fields;
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
    Instant expiresAt,
    Map<String, Object> metadata) {

  public record Valid(String name, UUID teamId, List<String> models, BudgetConfig budget, RateLimitConfig rateLimit,
      CacheConfig cache, Instant expiresAt, Map<String, Object> metadata) {}

  public Valid validate(Instant now, boolean creating) {
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
    if (metadata != null && metadata.size() > 50) {
      throw ApiException.invalid("metadata", "has more than 50 entries");
    }
    return new Valid(validName, team, List.copyOf(new LinkedHashSet<>(validModels)), Fields.budget("budget", budget),
        Fields.rateLimit("rate_limit", rateLimit), Fields.cache("cache", cache), expiresAt,
        metadata == null ? Map.of() : metadata);
  }
}
