package dev.spillway.dataplane.auth;

import dev.spillway.config.LoggingConfig;
import dev.spillway.config.TeamConfig;
import dev.spillway.config.VirtualKeyConfig;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Virtual keys by the SHA-256 of their secret: authentication is one hash and one map lookup, no I/O. */
public final class VirtualKeyTable {
  /**
   * A usable key with what policy needs about it.
   *
   * @param logging the key's request-log settings over its team's, over the defaults
   */
  public record Entry(VirtualKeyConfig key, TeamConfig team, Set<String> allowedModels, LoggingConfig logging) {
    public Entry(VirtualKeyConfig key, TeamConfig team, Set<String> allowedModels) {
      this(key, team, allowedModels, LoggingConfig.effective(team == null ? null : team.logging(), key.logging()));
    }

    public boolean allows(String model) {
      return allowedModels.isEmpty() || allowedModels.contains(model);
    }
  }

  private final Map<KeyHash, Entry> byHash;

  private VirtualKeyTable(Map<KeyHash, Entry> byHash) {
    this.byHash = byHash;
  }

  public static VirtualKeyTable compile(List<VirtualKeyConfig> keys, Map<String, TeamConfig> teams) {
    Map<KeyHash, Entry> byHash = new HashMap<>(Math.max(16, keys.size() * 4 / 3 + 1));
    for (VirtualKeyConfig key : keys) {
      byHash.put(KeyHash.ofHex(key.keyHash()), new Entry(key, teams.get(key.teamId()), Set.copyOf(key.models())));
    }
    return new VirtualKeyTable(byHash);
  }

  /** The key for this secret if it exists and has not expired at {@code now}. */
  public Optional<Entry> authenticate(String secret, Instant now) {
    Entry entry = byHash.get(KeyHash.ofSecret(secret));
    if (entry == null || !entry.key().isUsableAt(now)) {
      return Optional.empty();
    }
    return Optional.of(entry);
  }

  public int size() {
    return byHash.size();
  }
}
