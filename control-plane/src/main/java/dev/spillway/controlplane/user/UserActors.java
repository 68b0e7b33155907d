package dev.spillway.controlplane.user;

import dev.spillway.controlplane.security.Actor;
import dev.spillway.controlplane.security.Role;
import dev.spillway.controlplane.security.TeamRole;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The {@link Actor} of a signed-in user: organisation role plus a role per team. The dashboard's session login
 * (OIDC) resolves its user here, so sessions and API tokens go through the same authorisation rules.
 */
@Component
public class UserActors {
  private final UserRepository users;

  public UserActors(UserRepository users) {
    this.users = users;
  }

  /** The actor of an active user; empty for unknown or disabled users. */
  @Transactional(readOnly = true)
  public Optional<Actor> forUser(UUID userId) {
    return users.findById(userId).filter(u -> "active".equals(u.status())).map(UserActors::actor);
  }

  @Transactional(readOnly = true)
  public Optional<Actor> forEmail(String email) {
    return users.findByEmail(email).filter(u -> "active".equals(u.status())).map(UserActors::actor);
  }

  static Actor actor(User user) {
    Map<UUID, TeamRole> teamRoles = new HashMap<>();
    user.teams().forEach(m -> TeamRole.find(m.role()).ifPresent(r -> teamRoles.put(m.teamId(), r)));
    Role orgRole = user.orgRole() == null ? null : Role.orgRole(user.orgRole()).orElse(null);
    return new Actor("user", user.id().toString(), user.email(), orgRole, teamRoles);
  }
}
