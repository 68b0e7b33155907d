package dev.spillway.controlplane.security;

import java.io.Serial;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Who is calling: the principal of every authenticated admin request, and what the audit log records. The same
 * model serves bearer tokens today and dashboard sessions later: a user has an optional organisation role and a
 * role per team.
 *
 * <p>Serializable because a dashboard session carries its user's actor and sessions are stored in PostgreSQL; a
 * record is read back through its canonical constructor, so the checks below hold for a stored one too.
 *
 * @param type      {@code bootstrap_token}, {@code api_token}, {@code user}, {@code node} or {@code system}
 * @param id        stable id (user or token id), null for the bootstrap token and the system
 * @param name      human-readable name (email, token name)
 * @param orgRole   {@link Role#ORG_ADMIN}, {@link Role#VIEWER}, or null when the actor only has team roles
 * @param teamRoles the actor's role per team id
 */
public record Actor(String type, String id, String name, Role orgRole, Map<UUID, TeamRole> teamRoles)
    implements Serializable {
  @Serial
  private static final long serialVersionUID = 1L;

  public static final Actor SYSTEM = new Actor("system", null, "system", Role.ORG_ADMIN, Map.of());
  public static final Actor BOOTSTRAP = new Actor("bootstrap_token", null, "bootstrap admin token", Role.ORG_ADMIN,
      Map.of());

  public Actor {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(name, "name");
    if (orgRole == Role.TEAM_ADMIN || orgRole == Role.TEAM_VIEWER) {
      throw new IllegalArgumentException("orgRole: " + orgRole + " (expected: ORG_ADMIN, VIEWER or null)");
    }
    teamRoles = teamRoles == null ? Map.of() : Map.copyOf(teamRoles);
  }

  public boolean isOrgAdmin() {
    return orgRole == Role.ORG_ADMIN;
  }

  /** Organisation admins and viewers read everything. */
  public boolean readsEverything() {
    return orgRole != null;
  }

  public boolean canReadTeam(UUID teamId) {
    return readsEverything() || teamRoles.containsKey(teamId);
  }

  public boolean canAdminTeam(UUID teamId) {
    return isOrgAdmin() || teamRoles.get(teamId) == TeamRole.TEAM_ADMIN;
  }

  /** Teams this actor administers (for team admins; org admins administer every team). */
  public Set<UUID> adminOfTeams() {
    return teamRoles.entrySet().stream().filter(e -> e.getValue() == TeamRole.TEAM_ADMIN).map(Map.Entry::getKey)
        .collect(Collectors.toUnmodifiableSet());
  }

  /** Authorities for Spring Security's URL rules; team ids are checked later by {@link Authz}. */
  public List<Role> authorities() {
    List<Role> roles = new ArrayList<>();
    if (orgRole != null) {
      roles.add(orgRole);
    }
    if (teamRoles.containsValue(TeamRole.TEAM_ADMIN)) {
      roles.add(Role.TEAM_ADMIN);
    }
    if (!teamRoles.isEmpty()) {
      roles.add(Role.TEAM_VIEWER);
    }
    return roles;
  }
}
