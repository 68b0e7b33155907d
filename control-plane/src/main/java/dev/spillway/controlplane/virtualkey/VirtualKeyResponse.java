package dev.spillway.controlplane.virtualkey;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.spillway.controlplane.common.BudgetBody;
import dev.spillway.controlplane.common.CacheBody;
import dev.spillway.controlplane.common.LoggingBody;
import dev.spillway.controlplane.common.RateLimitBody;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A virtual key on the admin API; {@code key} is present only in the create and rotate responses. */
public record VirtualKeyResponse(
    UUID id,
    String name,
    UUID teamId,
    @JsonInclude(JsonInclude.Include.NON_NULL) String key,
    String keyPrefix,
    List<String> models,
    BudgetBody budget,
    RateLimitBody rateLimit,
    CacheBody cache,
    LoggingBody logging,
    Instant expiresAt,
    String status,
    Map<String, Object> metadata,
    UUID rotatedFrom,
    Instant createdAt,
    Instant updatedAt,
    Instant revokedAt) {

  public static VirtualKeyResponse of(VirtualKey k) {
    return withSecret(k, null);
  }

  public static VirtualKeyResponse withSecret(VirtualKey k, String secret) {
    return new VirtualKeyResponse(k.id(), k.name(), k.teamId(), secret, k.keyPrefix(), k.models(),
        BudgetBody.of(k.budget()), RateLimitBody.of(k.rateLimit()), CacheBody.of(k.cache()),
        LoggingBody.of(k.logging()), k.expiresAt(), k.status().wireName(), k.metadata(), k.rotatedFrom(),
        k.createdAt(), k.updatedAt(), k.revokedAt());
  }

  public VirtualKeyRequest toRequest() {
    return new VirtualKeyRequest(name, teamId.toString(), models, budget, rateLimit, cache, logging, expiresAt,
        metadata);
  }

  @Override
  public String toString() {
    return "VirtualKeyResponse[id=" + id + ", name=" + name + ", prefix=" + keyPrefix + ", key="
        + (key == null ? "null" : "<secret>") + "]";
  }

  /** Audit fields: never the secret, never the hash. */
  public Map<String, Object> auditView() {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("name", name);
    view.put("team_id", teamId);
    view.put("key_prefix", keyPrefix);
    view.put("models", models);
    view.put("budget", budget);
    view.put("rate_limit", rateLimit);
    view.put("cache", cache);
    view.put("logging", logging);
    view.put("expires_at", expiresAt);
    view.put("status", status);
    view.put("metadata", metadata);
    return view;
  }
}
