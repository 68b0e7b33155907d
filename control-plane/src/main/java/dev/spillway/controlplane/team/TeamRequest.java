package dev.spillway.controlplane.team;

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
import java.util.Map;

/** Body of POST /api/v1/teams (and the merged form of PATCH). */
public record TeamRequest(
    String name,
    String description,
    BudgetBody budget,
    RateLimitBody rateLimit,
    CacheBody cache,
    LoggingBody logging,
    Map<String, Object> metadata) {

  public record Valid(String name, String description, BudgetConfig budget, RateLimitConfig rateLimit,
      CacheConfig cache, LoggingConfig logging, Map<String, Object> metadata) {}

  public Valid validate() {
    String validName = Fields.requireName("name", name, 100);
    String validDescription = description == null ? null : description.strip();
    if (validDescription != null && validDescription.length() > 1000) {
      throw ApiException.invalid("description", "is longer than 1000 characters");
    }
    Map<String, Object> validMetadata = Fields.metadata("metadata", metadata);
    return new Valid(validName, validDescription, Fields.budget("budget", budget),
        Fields.rateLimit("rate_limit", rateLimit), Fields.cache("cache", cache),
        Fields.logging("logging", logging), validMetadata);
  }
}
