package dev.spillway.controlplane.requestlog;

import dev.spillway.controlplane.security.Authz;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Reads the request log ({@code request_logs}, written by the usage ingest). Every query is bounded in time, so
 * PostgreSQL reads only the monthly partitions the range spans, and limited to the teams the caller may read: an
 * org admin or viewer sees every request, a team member only the requests of their teams (a request of another team
 * is not found, rather than forbidden, so its id tells nothing).
 */
@Service
public class RequestLogService {
  /** One page of a listing; {@code nextCursor} is null on the last page. */
  public record Page(List<RequestLog> rows, RequestLogQuery.Cursor nextCursor) {}

  /** A stored body larger than this once decompressed is not read (the node caps bodies far below it). */
  static final int MAX_BODY_BYTES = 16 * 1024 * 1024;
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String COLUMNS = "request_id, occurred_at, node_id, team_id, key_id, client_api, user_agent, "
      + "route, requested_model, provider, model, status_code, error_code, error_message, latency_ms, ttft_ms, "
      + "input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, cost_usd, cache_status, "
      + "cache_similarity, streamed, client_closed, replay_of, content_policy, request_body IS NOT NULL, "
      + "response_body IS NOT NULL, request_truncated, response_truncated";

  private final JdbcClient jdbc;

  public RequestLogService(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Transactional(readOnly = true)
  public Page list(RequestLogQuery q) {
    StringBuilder where = new StringBuilder("occurred_at >= ? AND occurred_at < ?");
    List<Object> params = new ArrayList<>(List.of(Timestamp.from(q.from()), Timestamp.from(q.to())));
    if (q.teamId() != null) {
      Authz.requireTeamRead(q.teamId());
      where.append(" AND team_id = ?");
      params.add(q.teamId());
    } else {
      readableTeams(where, params);
    }
    equal(where, params, "request_id", q.requestId());
    equal(where, params, "key_id", q.keyId());
    equal(where, params, "route", q.route());
    equal(where, params, "provider", q.provider());
    equal(where, params, "model", q.model());
    if (q.status() != null) {
      where.append(" AND status_code BETWEEN ? AND ?");
      params.add(q.status().min());
      params.add(q.status().max());
    }
    if ("hit".equals(q.cache())) {
      where.append(" AND cache_status LIKE 'hit-%'");
    } else {
      equal(where, params, "cache_status", q.cache());
    }
    if (q.minLatencyMs() != null) {
      where.append(" AND latency_ms >= ?");
      params.add(q.minLatencyMs());
    }
    if (q.after() != null) {
      where.append(" AND (occurred_at, request_id) < (?, ?)");
      params.add(Timestamp.from(q.after().time()));
      params.add(q.after().requestId());
    }
    params.add(q.limit() + 1);
    List<RequestLog> rows = jdbc.sql("SELECT " + COLUMNS + " FROM request_logs WHERE " + where
            + " ORDER BY occurred_at DESC, request_id DESC LIMIT ?")
        .params(params).query((rs, i) -> record(rs)).list();
    if (rows.size() <= q.limit()) {
      return new Page(rows, null);
    }
    List<RequestLog> page = rows.subList(0, q.limit());
    RequestLog last = page.get(page.size() - 1);
    return new Page(List.copyOf(page), new RequestLogQuery.Cursor(last.time(), last.requestId()));
  }

  /**
   * One request with its attempts and stored bodies, if the caller may read its team. Looked up by the request-id
   * index, within the longest retention a team can have (so the range stays bounded).
   */
  @Transactional(readOnly = true)
  public Optional<RequestLogDetail> find(String requestId) {
    if (requestId == null || requestId.isBlank() || requestId.length() > 200) {
      return Optional.empty();
    }
    Instant now = Instant.now();
    StringBuilder where = new StringBuilder("request_id = ? AND occurred_at >= ? AND occurred_at < ?");
    List<Object> params = new ArrayList<>(List.of(requestId, Timestamp.from(now.minus(
        RequestLogQuery.REQUEST_ID_RANGE)), Timestamp.from(now.plus(Duration.ofDays(1)))));
    readableTeams(where, params);
    return jdbc.sql("SELECT " + COLUMNS + ", attempts::text, request_body, response_body FROM request_logs WHERE "
            + where + " ORDER BY occurred_at DESC LIMIT 1")
        .params(params)
        .query((rs, i) -> {
          RequestLog record = record(rs);
          int n = 32;
          return new RequestLogDetail(record, attempts(rs.getString(n)), body(rs.getBytes(n + 1)),
              body(rs.getBytes(n + 2)));
        })
        .optional();
  }

  private static void readableTeams(StringBuilder where, List<Object> params) {
    Set<UUID> readable = Authz.readableTeamsOrAll();
    if (readable != null) {
      where.append(" AND team_id = ANY(?)");
      params.add(readable.toArray(UUID[]::new));
    }
  }

  private static void equal(StringBuilder where, List<Object> params, String column, Object value) {
    if (value != null) {
      where.append(" AND ").append(column).append(" = ?");
      params.add(value);
    }
  }

  private static RequestLog record(ResultSet rs) throws SQLException {
    long ttft = rs.getLong(16);
    Long ttftMs = rs.wasNull() ? null : ttft;
    float similarity = rs.getFloat(23);
    Float cacheSimilarity = rs.wasNull() ? null : similarity;
    return new RequestLog(rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getString(3),
        rs.getObject(4, UUID.class), rs.getObject(5, UUID.class), rs.getString(6), rs.getString(7), rs.getString(8),
        rs.getString(9), rs.getString(10), rs.getString(11), rs.getInt(12), rs.getString(13), rs.getString(14),
        rs.getLong(15), ttftMs, rs.getLong(17), rs.getLong(18), rs.getLong(19), rs.getLong(20),
        // numeric(18,9) reads back with nine decimals: a free request would be 0E-9 in JSON.
        rs.getBigDecimal(21).stripTrailingZeros(), rs.getString(22), cacheSimilarity, rs.getBoolean(24),
        rs.getBoolean(25),
        rs.getString(26), rs.getString(27), rs.getBoolean(28), rs.getBoolean(29), rs.getBoolean(30),
        rs.getBoolean(31));
  }

  static List<Attempt> attempts(String json) {
    if (json == null) {
      return List.of();
    }
    JsonNode array = JSON.readTree(json);
    List<Attempt> attempts = new ArrayList<>();
    for (JsonNode a : array) {
      JsonNode status = a.path("status_code");
      attempts.add(new Attempt(text(a, "provider"), text(a, "model"),
          status.isNumber() ? status.asInt() : null, text(a, "error_code"), a.path("latency_ms").asLong(0),
          a.path("started_ms").asLong(0)));
    }
    return List.copyOf(attempts);
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asString();
  }

  /**
   * A stored body: gzip of JSON. One the size cap cut is not JSON any more; it is given as a JSON string of the
   * text that was kept, which is still worth reading.
   */
  static JsonNode body(byte[] gzip) {
    if (gzip == null) {
      return null;
    }
    byte[] bytes = gunzip(gzip);
    try {
      return JSON.readTree(bytes);
    } catch (JacksonException e) {
      return JsonNodeFactory.instance.stringNode(new String(bytes, StandardCharsets.UTF_8));
    }
  }

  private static byte[] gunzip(byte[] gzip) {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(256, gzip.length * 4));
      byte[] buffer = new byte[8192];
      int n;
      while ((n = in.read(buffer)) > 0) {
        if (out.size() + n > MAX_BODY_BYTES) {
          out.write(buffer, 0, MAX_BODY_BYTES - out.size());
          break;
        }
        out.write(buffer, 0, n);
      }
      return out.toByteArray();
    } catch (IOException e) {
      // Not gzip after all (or damaged): the stored bytes are all there is.
      return gzip;
    }
  }
}
