package dev.spillway.controlplane.team;

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
}
