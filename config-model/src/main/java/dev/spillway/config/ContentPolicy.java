package dev.spillway.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a request log keeps of a request's content. */
public enum ContentPolicy {
  /** Metadata only: who, what, how long, how much; no prompt or answer. */
  NONE,
  /** Request and answer bodies, after the node has redacted secrets and personal data from them. */
  REDACTED,
  /** Request and answer bodies as they were. */
  FULL;

  @JsonValue
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<ContentPolicy> find(String wireName) {
    return Arrays.stream(values()).filter(p -> p.wireName().equals(wireName)).findFirst();
  }

  @JsonCreator
  static ContentPolicy fromWire(String wireName) {
    return find(wireName).orElseThrow(() -> new IllegalArgumentException(
        "unknown content policy: " + wireName + " (expected: none, redacted, full)"));
  }
}
