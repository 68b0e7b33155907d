package dev.spillway.controlplane.team;

import dev.spillway.controlplane.common.BudgetBody;
import dev.spillway.controlplane.common.CacheBody;
import dev.spillway.controlplane.common.LoggingBody;
import dev.spillway.controlplane.common.RateLimitBody;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

public record TeamResponse(
    UUID id,
    String name,
    String description,
    BudgetBody budget,
    RateLimitBody rateLimit,
    CacheBody cache,
    LoggingBody logging,
    Map<String, Object> metadata,
    Instant createdAt,
    Instant updatedAt) {

  public static TeamResponse of(Team team) {
    return new TeamResponse(team.id(), team.name(), team.description(), BudgetBody.of(team.budget()),
        RateLimitBody.of(team.rateLimit()), CacheBody.of(team.cache()), LoggingBody.of(team.logging()),
        team.metadata(), team.createdAt(), team.updatedAt());
  }

  public TeamRequest toRequest() {
    return new TeamRequest(name, description, budget, rateLimit, cache, logging, metadata);
  }

  /** The fields the audit log compares. */
  public Map<String, Object> auditView() {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("name", name);
    view.put("description", description);
    view.put("budget", budget);
    view.put("rate_limit", rateLimit);
    view.put("cache", cache);
    view.put("logging", logging);
    view.put("metadata", metadata);
    return view;
  }
}
