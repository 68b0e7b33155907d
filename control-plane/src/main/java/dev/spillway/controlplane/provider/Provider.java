package dev.spillway.controlplane.provider;

import dev.spillway.config.BreakerConfig;
import dev.spillway.config.ProviderType;
import dev.spillway.config.TimeoutsConfig;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A provider as stored; key values stay sealed. {@code breaker} null means the defaults. */
public record Provider(
    UUID id,
    String name,
    ProviderType type,
    String baseUrl,
    List<ProviderKey> keys,
    Map<String, String> settings,
    TimeoutsConfig timeouts,
    BreakerConfig breaker,
    Instant createdAt,
    Instant updatedAt) {

  public Provider {
    keys = keys == null ? List.of() : List.copyOf(keys);
    settings = settings == null ? Map.of() : Map.copyOf(settings);
  }

  /** The AAD that binds a sealed key value to this provider and key name. */
  public static String sealContext(UUID providerId, String keyName) {
    return "provider:" + providerId + ":key:" + keyName;
  }
}
