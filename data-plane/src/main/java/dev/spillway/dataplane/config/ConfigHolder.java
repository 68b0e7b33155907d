package dev.spillway.dataplane.config;

import java.util.Optional;

/**
 * The node's current config. One volatile reference: a swap is atomic, and a request that read the old config
 * keeps using it to the end.
 */
public final class ConfigHolder {
  private volatile NodeConfig current;
  private volatile String lastError;

  public NodeConfig current() {
    return current;
  }

  public Optional<NodeConfig> currentIfAny() {
    return Optional.ofNullable(current);
  }

  /** Installs {@code next} unless a config of the same or a newer version is already in place. */
  public synchronized boolean swap(NodeConfig next) {
    NodeConfig old = current;
    if (old != null && old.version() >= next.version()) {
      return false;
    }
    current = next;
    lastError = null;
    return true;
  }

  public void recordError(String error) {
    lastError = error;
  }

  /** Why the last snapshot was refused, or null. */
  public String lastError() {
    return lastError;
  }

  public boolean isReady() {
    return current != null;
  }
}
