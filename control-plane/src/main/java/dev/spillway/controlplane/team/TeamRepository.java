package dev.spillway.controlplane.team;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

public interface TeamRepository {
  Optional<Team> findById(UUID id);

  Optional<Team> findByName(String name);

  List<Team> findAll();

  /** Inserts or updates the team row (limits are stored by {@code LimitsRepository}). */
  void save(Team team);

  void delete(UUID id);

  List<String> activeKeyNames(UUID teamId, int limit);

  /** The organisation's teams whose ids are not among {@code ids}. */
  List<UUID> findIdsExcept(Collection<UUID> ids);

  /**
   * Deletes these teams with their limits; memberships and team-scoped API tokens go with them. Their keys, revoked
   * ones included, must be gone first.
   */
  void deleteAll(Collection<UUID> ids);

  /**
   * Inserts or updates these teams as a restore does: name, cache, request-log settings, budget and rate limit (what
   * nodes see). A team that exists keeps its description, metadata and creation time; a new one gets the given ones.
   * A name may move from one of them to another.
   */
  void upsertAll(List<Team> teams);
}
