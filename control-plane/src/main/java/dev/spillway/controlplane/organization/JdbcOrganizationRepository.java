package dev.spillway.controlplane.organization;

import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class JdbcOrganizationRepository implements OrganizationRepository {
  private final JdbcClient jdbc;

  JdbcOrganizationRepository(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public StoredOrganization get(UUID id) {
    return jdbc.sql("SELECT id, name, updated_at FROM organizations WHERE id = ?").param(id)
        .query((rs, i) -> new StoredOrganization(rs.getObject(1, UUID.class), rs.getString(2),
            rs.getTimestamp(3).toInstant()))
        .single();
  }

  @Override
  public void rename(UUID id, String name) {
    jdbc.sql("UPDATE organizations SET name = ?, updated_at = now() WHERE id = ?").params(name, id).update();
  }
}
