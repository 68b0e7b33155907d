package dev.spillway.controlplane.virtualkey;

import java.time.Instant;
import java.util.Collection;
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

  /** Deletes every key of these teams, revoked ones included, with its limits; returns how many were active. */
  int deleteAllOfTeams(Collection<UUID> teamIds);

  /**
   * Makes exactly these keys the organisation's active ones, as a restore does: every other active key is revoked,
   * and each of these is inserted or updated (team, name, hash, prefix, models, cache, expiry, budget, rate limit)
   * and is active again if it was revoked, with these metadata (routing rules match them; stored values that read
   * the same as text are kept as they are). A key that exists keeps its rotation link and creation time; a
   * new one is recorded as created by {@code createdBy}. Every change is stamped {@code at}. A name may move from one
   * of them to another. Set-based, so 100,000 keys cost a few statements. Returns how many keys it revoked.
   */
  int replaceActive(List<VirtualKey> keys, Instant at, String createdBy);
}
