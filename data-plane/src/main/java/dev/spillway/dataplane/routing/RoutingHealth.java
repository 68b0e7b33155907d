package dev.spillway.dataplane.routing;

import dev.spillway.config.BreakerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's memory of its upstream targets, kept across snapshots: a new snapshot must not close an open breaker or
 * end a cooldown (the provider is as dead or as busy as before), but it does forgive refused keys, since it may carry
 * a new secret under the same name. Route tables look their entries up when they are compiled, so the hot path holds
 * direct references and never searches this map; only {@code <provider>/<model>} requests look up their target.
 */
public final class RoutingHealth {
  /** The key name of a provider without credentials (the mock, a local server). */
  public static final String NO_KEY = "-";

  private final ConcurrentHashMap<String, KeyHealth> keys = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, TargetHealth> targets = new ConcurrentHashMap<>();

  public KeyHealth key(String provider, String keyName) {
    return keys.computeIfAbsent(provider + '\u0000' + keyName, k -> new KeyHealth(provider, keyName));
  }

  /** The entry for one key and model; replaced (breaker reset) when the provider's breaker settings changed. */
  public TargetHealth target(String provider, String keyName, String model, BreakerConfig settings) {
    String id = provider + '\u0000' + keyName + '\u0000' + model;
    TargetHealth existing = targets.get(id);
    if (existing != null && existing.settings().equals(settings)) {
      return existing;
    }
    return targets.compute(id, (k, current) -> current != null && current.settings().equals(settings)
        ? current : new TargetHealth(key(provider, keyName), model, settings));
  }

  /**
   * A new snapshot applies: refused keys get another chance, and entries of keys the snapshot no longer has are
   * dropped. {@code liveKeys} holds {@code provider + '\0' + keyName} of every key in the snapshot.
   */
  public void snapshotApplied(Set<String> liveKeys) {
    keys.values().forEach(KeyHealth::forgetBad);
    keys.keySet().retainAll(liveKeys);
    targets.values().removeIf(t -> !liveKeys.contains(t.key().provider() + '\u0000' + t.key().keyName()));
  }

  /**
   * Forgets everything this node learned about its targets, as if it had just started: for tests that share providers
   * between cases, where one case's refused key or open breaker must not decide the next case.
   */
  public void clear() {
    // In place: route tables hold these very entries.
    keys.values().forEach(KeyHealth::reset);
    targets.values().forEach(TargetHealth::reset);
  }

  public static String keyId(String provider, String keyName) {
    return provider + '\u0000' + keyName;
  }

  /** Every entry, sorted by provider, key and model, for the heartbeat and metrics. */
  public List<TargetHealth> sortedTargets() {
    List<TargetHealth> all = new ArrayList<>(targets.values());
    all.sort((a, b) -> {
      int c = a.key().provider().compareTo(b.key().provider());
      if (c == 0) {
        c = a.key().keyName().compareTo(b.key().keyName());
      }
      return c != 0 ? c : a.model().compareTo(b.model());
    });
    return all;
  }
}
