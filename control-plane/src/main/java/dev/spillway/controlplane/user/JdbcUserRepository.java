package dev.spillway.controlplane.user;

import dev.spillway.controlplane.common.Organization;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class JdbcUserRepository implements UserRepository {
  private static final String SELECT = """
      SELECT u.id, u.email, u.display_name, m.role AS org_role, m.source AS org_role_source, u.status,
             u.created_at, u.updated_at, u.last_login_at
      FROM users u LEFT JOIN org_memberships m ON m.user_id = u.id AND m.org_id = u.org_id
      """;
  private static final String MEMBERSHIPS = """
      SELECT tm.team_id, t.name AS team_name, tm.user_id, u.email, u.display_name, tm.role, tm.created_at, tm.source
      FROM team_memberships tm JOIN teams t ON t.id = tm.team_id JOIN users u ON u.id = tm.user_id
      """;

  private final JdbcClient jdbc;

  JdbcUserRepository(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public Optional<User> findById(UUID id) {
    return jdbc.sql(SELECT + " WHERE u.id = ?").param(id).query(this::bare).optional().map(this::withTeams);
  }

  @Override
  public Optional<User> findByEmail(String email) {
    return jdbc.sql(SELECT + " WHERE u.org_id = ? AND lower(u.email) = lower(?)")
        .params(Organization.DEFAULT_ID, email).query(this::bare).optional().map(this::withTeams);
  }

  @Override
  public Optional<User> findByOidcSubject(String issuer, String subject) {
    return jdbc.sql(SELECT + " WHERE u.oidc_issuer = ? AND u.oidc_subject = ?").params(issuer, subject)
        .query(this::bare).optional().map(this::withTeams);
  }

  @Override
  public void recordSignIn(UUID id, String issuer, String subject, Instant at) {
    jdbc.sql("UPDATE users SET oidc_issuer = ?, oidc_subject = ?, last_login_at = ? WHERE id = ?")
        .params(issuer, subject, Timestamp.from(at), id).update();
  }

  @Override
  public Optional<String> orgRoleSource(UUID userId) {
    return jdbc.sql("SELECT source FROM org_memberships WHERE org_id = ? AND user_id = ?")
        .params(Organization.DEFAULT_ID, userId).query(String.class).optional();
  }

  @Override
  public void putOrgRole(UUID userId, String role, String source) {
    if (role == null) {
      jdbc.sql("DELETE FROM org_memberships WHERE org_id = ? AND user_id = ?").params(Organization.DEFAULT_ID, userId)
          .update();
      return;
    }
    jdbc.sql("""
        INSERT INTO org_memberships (org_id, user_id, role, source) VALUES (?, ?, ?, ?)
        ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role, source = excluded.source""")
        .params(Organization.DEFAULT_ID, userId, role, source).update();
  }

  @Override
  public void putMembership(UUID teamId, UUID userId, String role, String source) {
    jdbc.sql("""
        INSERT INTO team_memberships (team_id, user_id, role, source) VALUES (?, ?, ?, ?)
        ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role, source = excluded.source""")
        .params(teamId, userId, role, source).update();
  }

  @Override
  public List<User> findAll() {
    Map<UUID, List<TeamMembership>> byUser = new HashMap<>();
    jdbc.sql(MEMBERSHIPS + " ORDER BY lower(t.name)").query(rs -> {
      TeamMembership m = membership(rs, 0);
      byUser.computeIfAbsent(m.userId(), k -> new ArrayList<>()).add(m);
    });
    return jdbc.sql(SELECT + " WHERE u.org_id = ? ORDER BY lower(u.email)").param(Organization.DEFAULT_ID)
        .query(this::bare).list().stream()
        .map(u -> with(u, byUser.getOrDefault(u.id(), List.of()))).toList();
  }

  @Override
  public void save(User u) {
    jdbc.sql("""
        INSERT INTO users (id, org_id, email, display_name, status, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET email = excluded.email, display_name = excluded.display_name,
            status = excluded.status, updated_at = excluded.updated_at""")
        .params(u.id(), Organization.DEFAULT_ID, u.email(), u.displayName(), u.status(),
            Timestamp.from(u.createdAt()), Timestamp.from(u.updatedAt()))
        .update();
    if (u.orgRole() == null) {
      jdbc.sql("DELETE FROM org_memberships WHERE org_id = ? AND user_id = ?").params(Organization.DEFAULT_ID, u.id())
          .update();
    } else {
      // An admin who changes the role takes it over from sign-in (source 'dashboard'); an unchanged role keeps its
      // source, so editing a user's name does not pin a role the IdP granted.
      jdbc.sql("""
          INSERT INTO org_memberships (org_id, user_id, role, source) VALUES (?, ?, ?, 'dashboard')
          ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role,
              source = CASE WHEN org_memberships.role = excluded.role THEN org_memberships.source ELSE 'dashboard' END""")
          .params(Organization.DEFAULT_ID, u.id(), u.orgRole()).update();
    }
  }

  @Override
  public void delete(UUID id) {
    jdbc.sql("DELETE FROM users WHERE id = ?").param(id).update();
  }

  @Override
  public List<TeamMembership> membersOf(UUID teamId) {
    return jdbc.sql(MEMBERSHIPS + " WHERE tm.team_id = ? ORDER BY lower(u.email)").param(teamId)
        .query(this::membership).list();
  }

  @Override
  public Optional<TeamMembership> findMembership(UUID teamId, UUID userId) {
    return jdbc.sql(MEMBERSHIPS + " WHERE tm.team_id = ? AND tm.user_id = ?").params(teamId, userId)
        .query(this::membership).optional();
  }

  @Override
  public void putMembership(UUID teamId, UUID userId, String role) {
    putMembership(teamId, userId, role, "dashboard");
  }

  @Override
  public void deleteMembership(UUID teamId, UUID userId) {
    jdbc.sql("DELETE FROM team_memberships WHERE team_id = ? AND user_id = ?").params(teamId, userId).update();
  }

  private User withTeams(User u) {
    return with(u, jdbc.sql(MEMBERSHIPS + " WHERE tm.user_id = ? ORDER BY lower(t.name)").param(u.id())
        .query(this::membership).list());
  }

  private static User with(User u, List<TeamMembership> teams) {
    return new User(u.id(), u.email(), u.displayName(), u.orgRole(), u.status(), teams, u.createdAt(),
        u.updatedAt(), u.lastLoginAt());
  }

  private User bare(ResultSet rs, int row) throws SQLException {
    return new User(rs.getObject("id", UUID.class), rs.getString("email"), rs.getString("display_name"),
        rs.getString("org_role"), rs.getString("status"), List.of(), instant(rs.getTimestamp("created_at")),
        instant(rs.getTimestamp("updated_at")), instant(rs.getTimestamp("last_login_at")));
  }

  private TeamMembership membership(ResultSet rs, int row) throws SQLException {
    return new TeamMembership(rs.getObject("team_id", UUID.class), rs.getString("team_name"),
        rs.getObject("user_id", UUID.class), rs.getString("email"), rs.getString("display_name"),
        rs.getString("role"), instant(rs.getTimestamp("created_at")), rs.getString("source"));
  }

  private static Instant instant(Timestamp ts) {
    return ts == null ? null : ts.toInstant();
  }
}
