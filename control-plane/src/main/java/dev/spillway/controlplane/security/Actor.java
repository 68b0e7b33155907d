package dev.spillway.controlplane.security;

import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Who is calling: the principal of every authenticated admin request, and what the audit log records.
 *
 * @param type   {@code bootstrap_token}, {@code api_token}, {@code user} or {@code system}
 * @param id     stable id (user or token id), null for the bootstrap token and the system
 * @param name   human-readable name (email, token name)
 * @param role   organisation-wide role, or null when the actor only has team roles
 * @param adminOfTeams teams this actor administers (for team admins)
 */
public record Actor(String type, String id, String name, Role role, Set<UUID> adminOfTeams) {
  public static final Actor SYSTEM = new Actor("system", null, "system", Role.ORG_ADMIN, Set.of());
  public static final Actor BOOTSTRAP = new Actor("bootstrap_token", null, "bootstrap admin token", Role.ORG_ADMIN,
      Set.of());

  public Actor {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(name, "name");
    adminOfTeams = adminOfTeams == null ? Set.of() : Set.copyOf(adminOfTeams);
  }

  public boolean isOrgAdmin() {
    return role == Role.ORG_ADMIN;
  }
}
