package dev.spillway.controlplane.user;

import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.Fields;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.security.TeamRole;
import dev.spillway.controlplane.team.Team;
import dev.spillway.controlplane.team.TeamRepository;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Users and their team memberships. Neither is part of the snapshot (nodes never see people), so changes here
 * bump no config version; they are audited all the same.
 */
@Service
public class UserService {
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+");

  /** The fields of a create request or of a merged PATCH. */
  public record UserRequest(String email, String displayName, String role, String status) {}

  private final UserRepository users;
  private final TeamRepository teams;
  private final AuditLog audit;

  public UserService(UserRepository users, TeamRepository teams, AuditLog audit) {
    this.users = users;
    this.teams = teams;
    this.audit = audit;
  }

  @Transactional(readOnly = true)
  public List<User> list() {
    return users.findAll();
  }

  @Transactional(readOnly = true)
  public User get(UUID id) {
    return users.findById(id).orElseThrow(() -> ApiException.notFound("user", id));
  }

  @Transactional
  public User create(UserRequest request) {
    User valid = validate(UUID.randomUUID(), request, Instant.now(), null);
    users.save(valid);
    audit.record("user.create", "user", valid.id(), null, auditView(valid), null);
    return get(valid.id());
  }

  @Transactional
  public User update(UUID id, UserRequest request) {
    User before = get(id);
    User after = validate(id, request, before.createdAt(), before);
    users.save(after);
    audit.record("user.update", "user", id, auditView(before), auditView(after), null);
    return get(id);
  }

  /** Refused while the user is still a member of teams, so memberships never vanish as a side effect. */
  @Transactional
  public void delete(UUID id) {
    User user = get(id);
    if (!user.teams().isEmpty()) {
      throw ApiException.conflict("id", "user " + user.email() + " is still a member of teams: "
          + String.join(", ", user.teams().stream().map(TeamMembership::teamName).toList())
          + "; remove the memberships first (or set status to disabled)");
    }
    users.delete(id);
    audit.record("user.delete", "user", id, auditView(user), null, null);
  }

  @Transactional(readOnly = true)
  public List<TeamMembership> members(UUID teamId) {
    requireTeam(teamId);
    Authz.requireTeamRead(teamId);
    return users.membersOf(teamId);
  }

  @Transactional
  public TeamMembership addMember(UUID teamId, String userId, String role) {
    requireTeam(teamId);
    Authz.requireTeamAdmin(teamId);
    UUID user = parseUserId(userId);
    String validRole = validRole(role);
    if (users.findById(user).isEmpty()) {
      throw ApiException.invalid("user_id", "user " + user + " does not exist");
    }
    if (users.findMembership(teamId, user).isPresent()) {
      throw ApiException.conflict("user_id", "user " + user + " is already a member of this team");
    }
    users.putMembership(teamId, user, validRole);
    TeamMembership added = users.findMembership(teamId, user).orElseThrow();
    audit.record("team_member.add", "team_member", teamId + "/" + user, null,
        Map.of("team_id", teamId.toString(), "user_id", user.toString(), "email", added.email(), "role", validRole),
        null);
    return added;
  }

  @Transactional
  public TeamMembership changeMember(UUID teamId, UUID userId, String role) {
    requireTeam(teamId);
    Authz.requireTeamAdmin(teamId);
    TeamMembership before = users.findMembership(teamId, userId)
        .orElseThrow(() -> ApiException.notFound("membership of user", userId));
    String validRole = validRole(role);
    users.putMembership(teamId, userId, validRole);
    audit.record("team_member.update", "team_member", teamId + "/" + userId, Map.of("role", before.role()),
        Map.of("role", validRole), null);
    return users.findMembership(teamId, userId).orElseThrow();
  }

  @Transactional
  public void removeMember(UUID teamId, UUID userId) {
    requireTeam(teamId);
    Authz.requireTeamAdmin(teamId);
    TeamMembership before = users.findMembership(teamId, userId)
        .orElseThrow(() -> ApiException.notFound("membership of user", userId));
    users.deleteMembership(teamId, userId);
    audit.record("team_member.remove", "team_member", teamId + "/" + userId,
        Map.of("team_id", teamId.toString(), "user_id", userId.toString(), "email", before.email(), "role",
            before.role()), null, null);
  }

  private Team requireTeam(UUID teamId) {
    return teams.findById(teamId).orElseThrow(() -> ApiException.notFound("team", teamId));
  }

  private User validate(UUID id, UserRequest request, Instant createdAt, User before) {
    if (request.email() == null || request.email().isBlank()) {
      throw ApiException.invalid("email", "is required");
    }
    String email = request.email().strip();
    if (email.length() > 254 || !EMAIL.matcher(email).matches()) {
      throw ApiException.invalid("email", "is not an email address (got '" + email + "')");
    }
    users.findByEmail(email).filter(existing -> !existing.id().equals(id)).ifPresent(existing -> {
      throw ApiException.conflict("email", "a user with email " + email + " already exists");
    });
    String displayName = request.displayName() == null || request.displayName().isBlank() ? null
        : Fields.requireName("display_name", request.displayName(), 200);
    String role = request.role();
    if (role != null && !role.equals("org_admin") && !role.equals("viewer")) {
      throw ApiException.invalid("role", "must be org_admin, viewer or null (got '" + role + "'); team roles are "
          + "set per team under /api/v1/teams/{id}/members");
    }
    String status = request.status() == null ? "active" : request.status();
    if (!status.equals("active") && !status.equals("disabled")) {
      throw ApiException.invalid("status", "must be active or disabled (got '" + status + "')");
    }
    Instant now = Instant.now();
    return new User(id, email, displayName, role, status, before == null ? List.of() : before.teams(), createdAt,
        now, before == null ? null : before.lastLoginAt());
  }

  private static UUID parseUserId(String userId) {
    if (userId == null || userId.isBlank()) {
      throw ApiException.invalid("user_id", "is required");
    }
    try {
      return UUID.fromString(userId);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("user_id", "is not a user id");
    }
  }

  private static String validRole(String role) {
    if (role == null || role.isBlank()) {
      throw ApiException.invalid("role", "is required (team_admin or viewer)");
    }
    return TeamRole.find(role).orElseThrow(() -> ApiException.invalid("role",
        "must be team_admin or viewer (got '" + role + "')")).wireName();
  }

  private static Map<String, Object> auditView(User u) {
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("email", u.email());
    view.put("display_name", u.displayName());
    view.put("role", u.orgRole());
    view.put("status", u.status());
    return view;
  }
}
