package dev.spillway.controlplane.virtualkey;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

public interface VirtualKeyRepository {
  Optional<VirtualKey> findById(UUID id);

  Optional<VirtualKey> findActiveByName(UUID teamId, String name);

  /**
   * A dashboard search: keys of the given teams (null = all), optionally of one status, whose name or visible
   * prefix contains {@code text}; sorted by {@code name}, {@code created} or {@code status}.
   */
  record Search(java.util.Collection<UUID> teamIds, VirtualKey.Status status, String text, String sort,
      boolean descending) {}

  List<VirtualKey> search(Search search, int limit, int offset);

  int count(Search search);

  /** Keys of the given teams (null = all teams), newest first. */
  List<VirtualKey> find(java.util.Collection<UUID> teamIds, VirtualKey.Status status, int limit, int offset);

  /** Sets a new secret hash and prefix (a declarative config changed the key's secret). */
  void replaceSecret(UUID id, String keyHash, String keyPrefix, java.time.Instant at);

  Optional<VirtualKey> findByHash(String keyHash);

  void save(VirtualKey key);

  void revoke(UUID id, Instant at);
}
