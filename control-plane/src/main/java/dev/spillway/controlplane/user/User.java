package dev.spillway.controlplane.user;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A person who may sign in to the dashboard (later) and whom teams list as members.
 *
 * @param orgRole {@code org_admin}, {@code viewer}, or null for no organisation-wide role
 * @param status  {@code active} or {@code disabled}
 * @param teams   the user's team memberships
 */
public record User(
    UUID id,
    String email,
    String displayName,
    String orgRole,
    String status,
    List<TeamMembership> teams,
    Instant createdAt,
    Instant updatedAt,
    Instant lastLoginAt) {

  public User {
    teams = teams == null ? List.of() : List.copyOf(teams);
  }
}
