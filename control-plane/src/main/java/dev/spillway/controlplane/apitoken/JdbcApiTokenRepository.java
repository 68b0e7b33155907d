package dev.spillway.controlplane.apitoken;

import dev.spillway.controlplane.common.Organization;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class JdbcApiTokenRepository implements ApiTokenRepository {
  private static final String COLUMNS = "id, name, token_prefix, role, team_id, created_by, created_at, expires_at, "
      + "last_used_at, revoked_at";

  private final JdbcClient jdbc;

  JdbcApiTokenRepository(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public Optional<ApiToken> findById(UUID id) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM admin_api_tokens WHERE id = ?").param(id).query(this::map)
        .optional();
  }

  @Override
  public Optional<ApiToken> findUsableByHash(String tokenHash, Instant now) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM admin_api_tokens WHERE token_hash = ? AND revoked_at IS NULL "
            + "AND (expires_at IS NULL OR expires_at > ?)")
        .params(tokenHash, Timestamp.from(now)).query(this::map).optional();
  }

  @Override
  public Optional<ApiToken> findActiveByName(String name) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM admin_api_tokens WHERE org_id = ? AND lower(name) = lower(?) "
            + "AND revoked_at IS NULL")
        .params(Organization.DEFAULT_ID, name).query(this::map).optional();
  }

  @Override
  public List<ApiToken> findAll(boolean includeRevoked) {
    return jdbc.sql("SELECT " + COLUMNS + " FROM admin_api_tokens WHERE org_id = ?"
            + (includeRevoked ? "" : " AND revoked_at IS NULL") + " ORDER BY created_at DESC, id")
        .param(Organization.DEFAULT_ID).query(this::map).list();
  }

  @Override
  public void insert(ApiToken t, String tokenHash) {
    jdbc.sql("""
        INSERT INTO admin_api_tokens (id, org_id, name, token_hash, token_prefix, role, team_id, created_by,
                                      created_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
        .params(t.id(), Organization.DEFAULT_ID, t.name(), tokenHash, t.tokenPrefix(), t.role(), t.teamId(),
            t.createdBy(), Timestamp.from(t.createdAt()), t.expiresAt() == null ? null : Timestamp.from(t.expiresAt()))
        .update();
  }

  @Override
  public void revoke(UUID id, Instant at, String by) {
    jdbc.sql("UPDATE admin_api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL")
        .params(Timestamp.from(at), by, id).update();
  }

  @Override
  public void touch(UUID id, Instant at, Instant notBefore) {
    jdbc.sql("UPDATE admin_api_tokens SET last_used_at = ? WHERE id = ? "
            + "AND (last_used_at IS NULL OR last_used_at < ?)")
        .params(Timestamp.from(at), id, Timestamp.from(notBefore)).update();
  }

  private ApiToken map(ResultSet rs, int row) throws SQLException {
    return new ApiToken(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("token_prefix"),
        rs.getString("role"), rs.getObject("team_id", UUID.class), rs.getString("created_by"),
        instant(rs.getTimestamp("created_at")), instant(rs.getTimestamp("expires_at")),
        instant(rs.getTimestamp("last_used_at")), instant(rs.getTimestamp("revoked_at")));
  }

  private static Instant instant(Timestamp ts) {
    return ts == null ? null : ts.toInstant();
  }
}
