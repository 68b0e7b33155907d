package dev.spillway.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * An admin's "forget these cached answers", carried in snapshots so that every node drops what its in-memory tier
 * holds: an entry stored before {@code at} in the scope is never served again. (The control plane deletes the shared
 * tier's rows itself.) The control plane keeps an invalidation in snapshots only while an entry it covers could
 * still be alive, i.e. for the longest TTL.
 *
 * @param scope {@code all}, {@code team} or {@code key}
 * @param id    the team or virtual key id; null for {@code all}
 * @param at    entries stored before this instant are invalid
 */
public record CacheInvalidation(Scope scope, String id, Instant at) {
  public CacheInvalidation {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(at, "at");
    if ((scope == Scope.ALL) != (id == null)) {
      throw new IllegalArgumentException("id: " + id + " (expected: null for scope all, an id otherwise)");
    }
  }

  /** What an invalidation covers. */
  public enum Scope {
    ALL, TEAM, KEY;

    @JsonValue
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Scope> find(String wireName) {
      return Arrays.stream(values()).filter(s -> s.wireName().equals(wireName)).findFirst();
    }

    @JsonCreator
    static Scope fromWire(String wireName) {
      return find(wireName).orElseThrow(() -> new IllegalArgumentException(
          "unknown cache invalidation scope: " + wireName + " (expected: all, team, key)"));
    }
  }
}
