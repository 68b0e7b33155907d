package dev.spillway.controlplane.user;

import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.security.Actor;
import dev.spillway.controlplane.security.CurrentActor;
import dev.spillway.controlplane.team.Team;
import dev.spillway.controlplane.team.TeamRepository;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Dashboard sign-in (SSO): finds or creates the user, then brings the roles that sign-in grants up to date.
 *
 * <p>Roles have a source. Those an admin assigned ({@code dashboard}) are never taken away here; those sign-in
 * granted ({@code sso}: {@code SPILLWAY_ADMIN_EMAILS}, IdP groups) are re-evaluated at every sign-in, so leaving an
 * IdP group revokes what it granted. A grant higher than a role given by hand replaces it (and from then on belongs
 * to sign-in). Every change is audited in the name of the user who signs in.
 */
@Service
public class UserSignIn {
  private static final Logger log = LoggerFactory.getLogger(UserSignIn.class);

  /** What the identity provider says about the person. */
  public record Identity(String issuer, String subject, String email, String displayName) {
    public Identity {
      Objects.requireNonNull(issuer, "issuer");
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(email, "email");
    }
  }

  /**
   * The roles sign-in grants.
   *
   * @param orgRole   {@code org_admin}, {@code viewer} or null
   * @param teamRoles team name to {@code team_admin} or {@code viewer}
   */
  public record Grants(String orgRole, Map<String, String> teamRoles) {
    public static final Grants NONE = new Grants(null, Map.of());

    public Grants {
      teamRoles = teamRoles == null ? Map.of() : Map.copyOf(teamRoles);
    }
  }

  /** Refused sign-in: the account is disabled. */
  public static final class DisabledUserException extends RuntimeException {
    DisabledUserException(String email) {
      super("the account " + email + " is disabled");
    }
  }

  private final UserRepository users;
  private final TeamRepository teams;
  private final AuditLog audit;

  public UserSignIn(UserRepository users, TeamRepository teams, AuditLog audit) {
    this.users = users;
    this.teams = teams;
    this.audit = audit;
  }

  /** Signs the person in and answers their actor (organisation role and team roles after this sign-in). */
  @Transactional
  public Actor signIn(Identity identity, Grants grants) {
    Instant now = Instant.now();
    Optional<User> known = users.findByOidcSubject(identity.issuer(), identity.subject())
        .or(() -> users.findByEmail(identity.email()));
    User user = known.orElseGet(() -> new User(UUID.randomUUID(), identity.email().strip(),
        blankToNull(identity.displayName()), null, "active", List.of(), now, now, null));
    if (!"active".equals(user.status())) {
      throw new DisabledUserException(user.email());
    }
    Actor self = new Actor("user", user.id().toString(), user.email(), null, null);
    CurrentActor.runAs(self, () -> {
      if (known.isEmpty()) {
        users.save(user);
        audit.record("user.create", "user", user.id(), null, Map.of("email", user.email(), "source", "sso"), null);
      }
      syncOrgRole(user.id(), grants.orgRole());
      syncTeamRoles(user.id(), grants.teamRoles());
      return null;
    });
    users.recordSignIn(user.id(), identity.issuer(), identity.subject(), now);
    return UserActors.actor(users.findById(user.id()).orElseThrow());
  }

  private void syncOrgRole(UUID userId, String granted) {
    User user = users.findById(userId).orElseThrow();
    String current = user.orgRole();
    boolean fromSso = current == null || users.orgRoleSource(userId).map("sso"::equals).orElse(true);
    String next;
    if (fromSso) {
      next = granted;
    } else {
      next = rank(granted) > rank(current) ? granted : current;
    }
    if (Objects.equals(next, current)) {
      return;
    }
    users.putOrgRole(userId, next, "sso");
    Map<String, Object> before = new LinkedHashMap<>();
    before.put("role", current);
    Map<String, Object> after = new LinkedHashMap<>();
    after.put("role", next);
    after.put("source", "sso");
    audit.record("user.update", "user", userId, before, after, null);
  }

  private void syncTeamRoles(UUID userId, Map<String, String> grantedByName) {
    Map<UUID, String> granted = new HashMap<>();
    Map<UUID, String> names = new HashMap<>();
    grantedByName.forEach((teamName, role) -> {
      Optional<Team> team = teams.findByName(teamName);
      if (team.isEmpty()) {
        log.warn("an IdP group grants {} in team '{}', which does not exist; ignored", role, teamName);
        return;
      }
      granted.merge(team.get().id(), role, (a, b) -> rank(a) >= rank(b) ? a : b);
      names.put(team.get().id(), team.get().name());
    });
    List<TeamMembership> memberships = users.findById(userId).orElseThrow().teams();
    for (TeamMembership m : memberships) {
      if (m.fromSso() && !granted.containsKey(m.teamId())) {
        users.deleteMembership(m.teamId(), userId);
        audit.record("team_member.remove", "team_member", m.teamId() + "/" + userId,
            Map.of("team_id", m.teamId().toString(), "user_id", userId.toString(), "role", m.role(), "source", "sso"),
            null, null);
      }
    }
    granted.forEach((teamId, role) -> {
      TeamMembership existing = memberships.stream().filter(m -> m.teamId().equals(teamId)).findFirst()
          .orElse(null);
      if (existing == null) {
        users.putMembership(teamId, userId, role, "sso");
        audit.record("team_member.add", "team_member", teamId + "/" + userId, null,
            Map.of("team_id", teamId.toString(), "team", names.get(teamId), "user_id", userId.toString(), "role",
                role, "source", "sso"), null);
      } else if (existing.fromSso() ? !existing.role().equals(role) : rank(role) > rank(existing.role())) {
        users.putMembership(teamId, userId, role, "sso");
        audit.record("team_member.update", "team_member", teamId + "/" + userId, Map.of("role", existing.role()),
            Map.of("role", role, "source", "sso"), null);
      }
    });
  }

  /** org_admin and team_admin outrank viewer, which outranks nothing. */
  private static int rank(String role) {
    if (role == null) {
      return 0;
    }
    return role.endsWith("admin") ? 2 : 1;
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }
}
