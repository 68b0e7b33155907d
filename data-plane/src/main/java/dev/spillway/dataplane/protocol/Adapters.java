package dev.spillway.dataplane.protocol;

import dev.spillway.config.ProviderType;
import java.util.EnumMap;
import java.util.Map;

/** The adapter of each provider type. */
public final class Adapters {
  private final Map<ProviderType, ProviderAdapter> byType;

  public Adapters(Map<ProviderType, ProviderAdapter> byType) {
    this.byType = new EnumMap<>(byType);
  }

  /** The adapter for {@code type}; a type without one is a configuration the node cannot serve. */
  public ProviderAdapter forType(ProviderType type) {
    ProviderAdapter adapter = byType.get(type);
    if (adapter == null) {
      throw new IllegalStateException("no adapter for provider type " + type.wireName());
    }
    return adapter;
  }

  public boolean supports(ProviderType type) {
    return byType.containsKey(type);
  }
}
