package dev.spillway.controlplane.user;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

public interface UserRepository {
  Optional<User> findById(UUID id);

  Optional<User> findByEmail(String email);

  /** The user who signed in with this subject at this issuer before. */
  Optional<User> findByOidcSubject(String issuer, String subject);

  /** Links the user to its SSO identity and records the time of sign-in. */
  void recordSignIn(UUID id, String issuer, String subject, java.time.Instant at);

  /** {@code dashboard} or {@code sso} for a user with an organisation role. */
  Optional<String> orgRoleSource(UUID userId);

  /** Sets (or with null removes) the organisation role, recording where it came from. */
  void putOrgRole(UUID userId, String role, String source);

  List<User> findAll();

  /** Inserts or updates the user and its organisation role. */
  void save(User user);

  void delete(UUID id);

  List<TeamMembership> membersOf(UUID teamId);

  Optional<TeamMembership> findMembership(UUID teamId, UUID userId);

  /** Adds or changes a membership assigned by an admin (source {@code dashboard}). */
  void putMembership(UUID teamId, UUID userId, String role);

  void putMembership(UUID teamId, UUID userId, String role, String source);

  void deleteMembership(UUID teamId, UUID userId);
}
