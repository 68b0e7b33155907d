package dev.spillway.dataplane.auth;

import dev.spillway.config.LoggingConfig;
import dev.spillway.config.Sha256;
import dev.spillway.config.TeamConfig;
import dev.spillway.config.VirtualKeyConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Virtual keys by the SHA-256 of their secret: authentication is one hash and one map lookup, no I/O. Keys are also
 * found by id for the control plane's replays, which authenticate with the node token instead of a key's secret.
 */
public final class VirtualKeyTable {
  /** Longer than any node token a deployment would use; a longer bearer is not hashed at all. */
  private static final int MAX_NODE_TOKEN_CHARS = 1024;

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
  private final Map<String, Entry> byId;
  /** SHA-256 of the node token, or null: then no request is a replay. */
  private final byte[] nodeTokenDigest;

  private VirtualKeyTable(Map<KeyHash, Entry> byHash, Map<String, Entry> byId, byte[] nodeTokenDigest) {
    this.byHash = byHash;
    this.byId = byId;
    this.nodeTokenDigest = nodeTokenDigest;
  }

  /** A table without replays (no node token). */
  public static VirtualKeyTable compile(List<VirtualKeyConfig> keys, Map<String, TeamConfig> teams) {
    return compile(keys, teams, null);
  }

  /** A table in which the node token, with a key's id, authenticates as that key ({@link #authenticateReplay}). */
  public static VirtualKeyTable compile(List<VirtualKeyConfig> keys, Map<String, TeamConfig> teams,
      String nodeToken) {
    Map<KeyHash, Entry> byHash = new HashMap<>(Math.max(16, keys.size() * 4 / 3 + 1));
    Map<String, Entry> byId = new HashMap<>(Math.max(16, keys.size() * 4 / 3 + 1));
    for (VirtualKeyConfig key : keys) {
      Entry entry = new Entry(key, teams.get(key.teamId()), Set.copyOf(key.models()));
      byHash.put(KeyHash.ofHex(key.keyHash()), entry);
      byId.put(key.id(), entry);
    }
    return new VirtualKeyTable(byHash, byId, nodeToken == null || nodeToken.isEmpty() ? null : digest(nodeToken));
  }

  /**
   * The key with id {@code keyId}, for a replay by the control plane: only when {@code bearer} is the node token
   * (compared as SHA-256 digests in constant time, so the comparison's time tells nothing about the token), and the
   * key exists (revoked keys are not in the snapshot) and has not expired at {@code now}.
   */
  public Optional<Entry> authenticateReplay(String bearer, String keyId, Instant now) {
    if (nodeTokenDigest == null || bearer == null || bearer.length() > MAX_NODE_TOKEN_CHARS
        || !MessageDigest.isEqual(digest(bearer), nodeTokenDigest)) {
      return Optional.empty();
    }
    Entry entry = byId.get(keyId);
    if (entry == null || !entry.key().isUsableAt(now)) {
      return Optional.empty();
    }
    return Optional.of(entry);
  }

  private static byte[] digest(String token) {
    return Sha256.newDigest().digest(token.getBytes(StandardCharsets.UTF_8));
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
