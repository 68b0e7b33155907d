package dev.spillway.controlplane.user;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

public interface UserRepository {
  Optional<User> findById(UUID id);

  Optional<User> findByEmail(String email);

  List<User> findAll();

  /** Inserts or updates the user and its organisation role. */
  void save(User user);

  void delete(UUID id);

  List<TeamMembership> membersOf(UUID teamId);

  Optional<TeamMembership> findMembership(UUID teamId, UUID userId);

  void putMembership(UUID teamId, UUID userId, String role);

  void deleteMembership(UUID teamId, UUID userId);
}
