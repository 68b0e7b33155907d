package dev.spillway.controlplane.provider;

import dev.spillway.config.BreakerConfig;
import dev.spillway.config.ProviderType;
import dev.spillway.config.TimeoutsConfig;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Fields;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Body of POST /api/v1/providers (and the merged form of PATCH). Key values are write-only. */
public record ProviderRequest(
    String name,
    String type,
    String baseUrl,
    List<KeyBody> keys,
    Map<String, String> settings,
    TimeoutsBody timeouts,
    BreakerBody breaker) {

  /** A provider with the default breaker. */
  public ProviderRequest(String name, String type, String baseUrl, List<KeyBody> keys, Map<String, String> settings,
      TimeoutsBody timeouts) {
    this(name, type, baseUrl, keys, settings, timeouts, null);
  }

  /**
   * Circuit breaking and key cooldowns; each absent field takes its default (see {@link BreakerConfig}), and a null
   * or absent {@code breaker} means every default.
   */
  public record BreakerBody(Integer consecutiveFailures, Integer failureRatePercent, Integer minimumCalls,
      Integer windowSeconds, Long openMs, Long rateLimitCooldownMs, Long badKeyProbeMs) {
    static BreakerBody of(BreakerConfig b) {
      return b == null ? null : new BreakerBody(b.consecutiveFailures(), b.failureRatePercent(), b.minimumCalls(),
          b.windowSeconds(), b.openMs(), b.rateLimitCooldownMs(), b.badKeyProbeMs());
    }
  }

  /** A key; {@code value} may be omitted on update to keep the stored value of the key with the same name. */
  public record KeyBody(String name, String value, Integer weight) {
    @Override
    public String toString() {
      return "KeyBody[name=" + name + ", weight=" + weight + ", value=" + (value == null ? "null" : "<secret>") + "]";
    }
  }

  public record TimeoutsBody(Long connectMs, Long firstByteMs, Long idleMs, Long totalMs) {
    static TimeoutsBody of(TimeoutsConfig t) {
      return t == null ? null : new TimeoutsBody(t.connectMs(), t.firstByteMs(), t.idleMs(), t.totalMs());
    }
  }

  public record ValidKey(String name, String value, int weight) {
    @Override
    public String toString() {
      return "ValidKey[name=" + name + ", weight=" + weight + "]";
    }
  }

  public record Valid(String name, ProviderType type, String baseUrl, List<ValidKey> keys,
      Map<String, String> settings, TimeoutsConfig timeouts, BreakerConfig breaker) {}

  /** Checks every field; {@code existingKeyNames} are keys whose stored value may be kept. */
  public Valid validate(Set<String> existingKeyNames) {
    String validName = Fields.requireSlug("name", name);
    if (type == null || type.isBlank()) {
      throw ApiException.invalid("type", "is required (one of " + ProviderType.allWireNames() + ")");
    }
    ProviderType validType = ProviderType.find(type).orElseThrow(() -> ApiException.invalid("type",
        "must be one of " + ProviderType.allWireNames() + " (got '" + type + "')"));
    String url = Fields.optionalHttpUrl("base_url", baseUrl);
    if (url == null && (validType == ProviderType.OPENAI_COMPATIBLE || validType == ProviderType.AZURE_OPENAI)) {
      throw ApiException.invalid("base_url", "is required for type " + validType.wireName());
    }
    List<ValidKey> validKeys = validateKeys(existingKeyNames);
    Map<String, String> validSettings = ProviderSettingsRules.validate(validType, settings);
    return new Valid(validName, validType, url, validKeys, validSettings, validateTimeouts(), validateBreaker());
  }

  private BreakerConfig validateBreaker() {
    if (breaker == null) {
      return null;
    }
    return new BreakerConfig(
        (Integer) positive("breaker.consecutive_failures", breaker.consecutiveFailures(), 1_000),
        (Integer) positive("breaker.failure_rate_percent", breaker.failureRatePercent(), 100),
        (Integer) positive("breaker.minimum_calls", breaker.minimumCalls(), 100_000),
        (Integer) positive("breaker.window_seconds", breaker.windowSeconds(), 3_600),
        (Long) positive("breaker.open_ms", breaker.openMs(), 3_600_000),
        (Long) positive("breaker.rate_limit_cooldown_ms", breaker.rateLimitCooldownMs(), 3_600_000),
        (Long) positive("breaker.bad_key_probe_ms", breaker.badKeyProbeMs(), 86_400_000));
  }

  /** Null (the default) or 1 to {@code max}. */
  private static Number positive(String field, Number value, long max) {
    if (value != null && (value.longValue() < 1 || value.longValue() > max)) {
      throw ApiException.invalid(field, "must be between 1 and " + max + " (got " + value + "; leave it out for "
          + "the default)");
    }
    return value;
  }

  private List<ValidKey> validateKeys(Set<String> existingKeyNames) {
    List<ValidKey> result = new ArrayList<>();
    if (keys == null) {
      return result;
    }
    if (keys.size() > 50) {
      throw ApiException.invalid("keys", "has more than 50 entries");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < keys.size(); i++) {
      KeyBody key = keys.get(i);
      String field = "keys[" + i + "]";
      if (key == null) {
        throw ApiException.invalid(field, "must be an object");
      }
      String keyName = key.name() == null || key.name().isBlank() ? "key-" + (i + 1)
          : Fields.requireName(field + ".name", key.name(), 100);
      if (!seen.add(keyName)) {
        throw ApiException.invalid(field + ".name", "duplicate key name '" + keyName + "'");
      }
      int weight = key.weight() == null ? 1 : key.weight();
      if (weight < 0 || weight > 1000) {
        throw ApiException.invalid(field + ".weight", "must be between 0 and 1000 (got " + weight + ")");
      }
      String value = key.value();
      if (value == null || value.isEmpty()) {
        if (!existingKeyNames.contains(keyName)) {
          throw ApiException.invalid(field + ".value", "is required for a new key");
        }
        value = null;
      } else if (value.length() > 8192 || value.chars().anyMatch(c -> c == '\n' || c == '\r')) {
        throw ApiException.invalid(field + ".value", "must be a single line of at most 8192 characters");
      }
      result.add(new ValidKey(keyName, value, weight));
    }
    return result;
  }

  private TimeoutsConfig validateTimeouts() {
    if (timeouts == null) {
      return null;
    }
    long connect = bounded("timeouts.connect_ms", timeouts.connectMs(), 60_000);
    long firstByte = bounded("timeouts.first_byte_ms", timeouts.firstByteMs(), 3_600_000);
    long idle = bounded("timeouts.idle_ms", timeouts.idleMs(), 3_600_000);
    long total = bounded("timeouts.total_ms", timeouts.totalMs(), 3_600_000);
    return new TimeoutsConfig(connect, firstByte, idle, total);
  }

  private static long bounded(String field, Long value, long max) {
    if (value == null) {
      return 0;
    }
    if (value < 0 || value > max) {
      throw ApiException.invalid(field, "must be between 0 and " + max + " (0 = default)");
    }
    return value;
  }

  static Map<String, String> sorted(Map<String, String> settings) {
    return settings == null ? Map.of() : new TreeMap<>(settings);
  }
}
