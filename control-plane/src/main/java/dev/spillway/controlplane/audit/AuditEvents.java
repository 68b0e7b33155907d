package dev.spillway.controlplane.audit;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Reads the audit log, newest first, with keyset pagination on the event id. */
@Component
public class AuditEvents {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  /** The most of one {@code before} or {@code after} column a read returns. */
  static final int MAX_COLUMN_BYTES = 64 * 1024;

  /** Filters; null fields do not filter. {@code action} ending in {@code *} matches a prefix ({@code team.*}). */
  public record Query(String actorType, String actorId, String actorName, String resourceType, String resourceId,
      String action, Instant from, Instant to, Long beforeId, int limit) {}

  public record Event(long id, Instant occurredAt, String actorType, String actorId, String actorName,
      String action, String resourceType, String resourceId, JsonNode before, JsonNode after, Long configVersion,
      String requestId, String clientIp) {}

  private final JdbcClient jdbc;

  public AuditEvents(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  public List<Event> find(Query q) {
    StringBuilder sql = new StringBuilder("SELECT id, occurred_at, actor_type, actor_id, actor_name, action, "
        + "resource_type, resource_id, " + bounded("before") + ", " + bounded("after") + ", config_version, "
        + "request_id, client_ip FROM audit_events WHERE true");
    List<Object> params = new ArrayList<>();
    eq(sql, params, "actor_type", q.actorType());
    eq(sql, params, "actor_id", q.actorId());
    eq(sql, params, "actor_name", q.actorName());
    eq(sql, params, "resource_type", q.resourceType());
    eq(sql, params, "resource_id", q.resourceId());
    if (q.action() != null) {
      if (q.action().endsWith("*")) {
        sql.append(" AND action LIKE ? ESCAPE '\\'");
        params.add(q.action().substring(0, q.action().length() - 1).replace("\\", "\\\\").replace("%", "\\%")
            .replace("_", "\\_") + "%");
      } else {
        eq(sql, params, "action", q.action());
      }
    }
    if (q.from() != null) {
      sql.append(" AND occurred_at >= ?");
      params.add(Timestamp.from(q.from()));
    }
    if (q.to() != null) {
      sql.append(" AND occurred_at < ?");
      params.add(Timestamp.from(q.to()));
    }
    if (q.beforeId() != null) {
      sql.append(" AND id < ?");
      params.add(q.beforeId());
    }
    sql.append(" ORDER BY id DESC LIMIT ?");
    params.add(q.limit());
    return jdbc.sql(sql.toString()).params(params)
        .query((rs, i) -> new Event(rs.getLong(1), rs.getTimestamp(2).toInstant(), rs.getString(3), rs.getString(4),
            rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), tree(rs.getString(9)),
            tree(rs.getString(10)), (Long) rs.getObject(11), rs.getString(12), rs.getString(13)))
        .list();
  }

  /**
   * A column's JSON as text, or, when it is over {@link #MAX_COLUMN_BYTES}, a JSON string of its start with a
   * marker: rows written before events were capped ({@link AuditLog}) may hold megabytes, and a page of events must
   * stay small whatever is in the table. Cut in SQL, so the big value never leaves the database.
   */
  private static String bounded(String column) {
    return ("CASE WHEN octet_length(c::text) > " + MAX_COLUMN_BYTES + " THEN to_jsonb(left(c::text, "
        + AuditLog.PREVIEW_CHARS + ") || '… [truncated: ' || length(c::text) || ' characters]')::text "
        + "ELSE c::text END").replace("c::text", column + "::text");
  }

  private static void eq(StringBuilder sql, List<Object> params, String column, String value) {
    if (value != null) {
      sql.append(" AND ").append(column).append(" = ?");
      params.add(value);
    }
  }

  private static JsonNode tree(String json) {
    return json == null ? null : JSON.readTree(json);
  }
}
