package dev.spillway.controlplane.provider;

import dev.spillway.config.ProviderType;
import dev.spillway.controlplane.common.ApiException;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Which settings each provider type understands, and their formats. Unknown settings are refused, not ignored. */
final class ProviderSettingsRules {
  private static final Map<ProviderType, Set<String>> KNOWN = Map.of(
      ProviderType.OPENAI, Set.of("organization", "project"),
      ProviderType.AZURE_OPENAI, Set.of("api_version", "deployment"),
      ProviderType.ANTHROPIC, Set.of("anthropic_version", "anthropic_beta"),
      ProviderType.BEDROCK, Set.of("region", "access_key_id", "session_token"),
      ProviderType.GEMINI, Set.of("api_version"),
      ProviderType.OPENAI_COMPATIBLE, Set.of("auth_header", "auth_scheme", "stream_usage"),
      ProviderType.MOCK, Set.of("latency_ms", "stream_chunks", "chunk_delay_ms", "reply"));
  private static final Set<String> INTEGER_SETTINGS = Set.of("latency_ms", "stream_chunks", "chunk_delay_ms");
  /** Switches: {@code stream_usage} ({@code false} for servers that reject {@code stream_options}). */
  private static final Set<String> BOOLEAN_SETTINGS = Set.of("stream_usage");

  private ProviderSettingsRules() {}

  static Map<String, String> validate(ProviderType type, Map<String, String> settings) {
    Map<String, String> result = new TreeMap<>();
    if (settings == null) {
      return result;
    }
    Set<String> known = KNOWN.get(type);
    for (Map.Entry<String, String> e : settings.entrySet()) {
      String field = "settings." + e.getKey();
      if (!known.contains(e.getKey())) {
        throw ApiException.invalid(field, "is not a setting of type " + type.wireName() + " (known: "
            + String.join(", ", new java.util.TreeSet<>(known)) + ")");
      }
      String value = e.getValue();
      if (value == null || value.length() > 1000) {
        throw ApiException.invalid(field, "must be a string of at most 1000 characters");
      }
      if (INTEGER_SETTINGS.contains(e.getKey())) {
        try {
          int parsed = Integer.parseInt(value.strip());
          if (parsed < 0 || parsed > 600_000) {
            throw ApiException.invalid(field, "must be between 0 and 600000");
          }
        } catch (NumberFormatException ex) {
          throw ApiException.invalid(field, "must be a whole number");
        }
      }
      if (BOOLEAN_SETTINGS.contains(e.getKey()) && !value.strip().matches("true|false")) {
        throw ApiException.invalid(field, "must be true or false");
      }
      result.put(e.getKey(), value.strip());
    }
    if (type == ProviderType.BEDROCK && !result.containsKey("region")) {
      throw ApiException.invalid("settings.region", "is required for type bedrock");
    }
    return result;
  }
}
