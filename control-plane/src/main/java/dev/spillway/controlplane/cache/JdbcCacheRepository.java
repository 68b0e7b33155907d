package dev.spillway.controlplane.cache;

import dev.spillway.config.CacheInvalidation;
import dev.spillway.controlplane.common.Organization;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class JdbcCacheRepository implements CacheRepository {
  private final JdbcClient jdbc;

  JdbcCacheRepository(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public long deleteEntries(CacheInvalidation.Scope scope, UUID id) {
    return switch (scope) {
      case ALL -> jdbc.sql("DELETE FROM cache_entries WHERE team_id IN (SELECT id FROM teams WHERE org_id = ?)")
          .param(Organization.DEFAULT_ID).update();
      case TEAM -> jdbc.sql("DELETE FROM cache_entries WHERE team_id = ?").param(id).update();
      case KEY -> jdbc.sql("DELETE FROM cache_entries WHERE key_id = ?").param(id).update();
    };
  }

  @Override
  public void recordInvalidation(CacheInvalidation invalidation, long deleted) {
    jdbc.sql("INSERT INTO cache_invalidations (org_id, scope, target_id, at, deleted_entries) "
            + "VALUES (?, ?, ?::uuid, ?, ?)")
        .params(Organization.DEFAULT_ID, invalidation.scope().wireName(), invalidation.id(),
            Timestamp.from(invalidation.at()), deleted)
        .update();
  }

  @Override
  public List<CacheInvalidation> invalidationsSince(Instant since) {
    return jdbc.sql("SELECT scope, target_id, at FROM cache_invalidations WHERE org_id = ? AND at >= ? "
            + "ORDER BY at, id")
        .params(Organization.DEFAULT_ID, Timestamp.from(since))
        .query((rs, i) -> new CacheInvalidation(CacheInvalidation.Scope.find(rs.getString(1)).orElseThrow(),
            rs.getString(2), rs.getTimestamp(3).toInstant()))
        .list();
  }

  @Override
  public int purgeExpired(Instant now, int limit) {
    return jdbc.sql("""
            DELETE FROM cache_entries WHERE id IN (
              SELECT id FROM cache_entries WHERE expires_at < ? ORDER BY expires_at LIMIT ?
              FOR UPDATE SKIP LOCKED)""")
        .params(Timestamp.from(now), limit).update();
  }
}
