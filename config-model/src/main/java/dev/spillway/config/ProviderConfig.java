package dev.spillway.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An upstream provider and its credentials.
 *
 * @param name     the unique slug clients use in {@code <provider>/<model>} and routes use as target
 * @param baseUrl  the API base URL; null means the provider type's public default
 * @param keys     weighted credentials, each sealed for the nodes (see {@link SealedSecret})
 * @param settings type-specific settings, e.g. {@code region}, {@code api_version}, mock {@code latency_ms}
 * @param timeouts upstream timeouts; null means the node's defaults
 * @param breaker  circuit breaking and key cooldowns; null means {@link BreakerConfig#DEFAULTS}
 */
public record ProviderConfig(
    String id,
    String name,
    ProviderType type,
    String baseUrl,
    List<ProviderKeyConfig> keys,
    Map<String, String> settings,
    TimeoutsConfig timeouts,
    BreakerConfig breaker) {

  public ProviderConfig {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    keys = keys == null ? List.of() : List.copyOf(keys);
    settings = settings == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(settings));
    breaker = breaker == null ? BreakerConfig.DEFAULTS : breaker;
  }

  /** A provider with the default breaker. */
  public ProviderConfig(String id, String name, ProviderType type, String baseUrl, List<ProviderKeyConfig> keys,
      Map<String, String> settings, TimeoutsConfig timeouts) {
    this(id, name, type, baseUrl, keys, settings, timeouts, null);
  }

  /** A setting or {@code fallback} when absent. */
  public String setting(String key, String fallback) {
    return settings.getOrDefault(key, fallback);
  }
}
