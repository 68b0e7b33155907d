package dev.spillway.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Response caching for a key or team. */
public enum CacheMode {
  OFF, EXACT, SEMANTIC;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<CacheMode> find(String wireName) {
    return Arrays.stream(values()).filter(m -> m.wireName().equals(wireName)).findFirst();
  }

  @JsonCreator
  static CacheMode fromWire(String wireName) {
    return find(wireName).orElseThrow(() -> new IllegalArgumentException(
        "unknown cache mode: " + wireName + " (expected: off, exact, semantic)"));
  }
}
