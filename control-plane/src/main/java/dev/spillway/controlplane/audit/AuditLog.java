package dev.spillway.controlplane.audit;

import dev.spillway.controlplane.common.Organization;
import dev.spillway.controlplane.security.Actor;
import dev.spillway.controlplane.security.CurrentActor;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import tools.jackson.databind.json.JsonMapper;

/**
 * Records who changed what, in the same transaction as the change. Callers pass before/after views that already
 * leave secrets out; only the fields that differ are stored. The request id and client address come from the
 * current HTTP request when there is one.
 */
@Component
public class AuditLog {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  /** The most one changed field of an event stores, as JSON (metadata is at most 16 KiB, so it fits whole). */
  static final int MAX_FIELD_BYTES = 32 * 1024;
  /** How much of an oversized field is kept. */
  static final int PREVIEW_CHARS = 2048;

  private final JdbcClient jdbc;

  public AuditLog(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /**
   * @param configVersion the config version this change produced, or null for changes outside the snapshot
   *                      (users, memberships, API tokens)
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public void record(String action, String resourceType, Object resourceId, Map<String, ?> before,
      Map<String, ?> after, Long configVersion) {
    Actor actor = CurrentActor.get();
    Map<String, Object> changedBefore = new LinkedHashMap<>();
    Map<String, Object> changedAfter = new LinkedHashMap<>();
    if (before != null && after != null) {
      for (String field : union(before, after)) {
        if (!Objects.equals(before.get(field), after.get(field))) {
          changedBefore.put(field, before.get(field));
          changedAfter.put(field, after.get(field));
        }
      }
    } else if (before != null) {
      changedBefore.putAll(before);
    } else if (after != null) {
      changedAfter.putAll(after);
    }
    capFields(changedBefore);
    capFields(changedAfter);
    String requestId = null;
    String clientIp = null;
    if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes) {
      HttpServletRequest request = attributes.getRequest();
      requestId = truncate(request.getHeader("X-Request-Id"), 200);
      clientIp = request.getRemoteAddr();
    }
    jdbc.sql("""
        INSERT INTO audit_events (org_id, actor_type, actor_id, actor_name, action, resource_type, resource_id,
                                  before, after, config_version, request_id, client_ip)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?)""")
        .params(Organization.DEFAULT_ID, actor.type(), actor.id(), actor.name(), action, resourceType,
            resourceId == null ? null : resourceId.toString(),
            before == null ? null : JSON.writeValueAsString(changedBefore),
            after == null ? null : JSON.writeValueAsString(changedAfter), configVersion, requestId, clientIp)
        .update();
  }

  /**
   * Replaces a field whose JSON is over {@link #MAX_FIELD_BYTES} by the start of that JSON, as text, with a marker:
   * an audit page lists many events, and one huge value (a config body, old oversized metadata) must not make every
   * later page huge.
   */
  static void capFields(Map<String, Object> fields) {
    fields.replaceAll((name, value) -> {
      String json = JSON.writeValueAsString(value);
      if (json.length() <= MAX_FIELD_BYTES / 4 || json.getBytes(StandardCharsets.UTF_8).length <= MAX_FIELD_BYTES) {
        return value;
      }
      return truncatedMarker(json);
    });
  }

  /** The start of an oversized JSON value, marked with its full size in characters. */
  static String truncatedMarker(String json) {
    return json.substring(0, Math.min(json.length(), PREVIEW_CHARS)) + "… [truncated: " + json.length()
        + " characters]";
  }

  private static String truncate(String value, int max) {
    return value == null || value.length() <= max ? value : value.substring(0, max);
  }

  private static Set<String> union(Map<String, ?> a, Map<String, ?> b) {
    Set<String> keys = new LinkedHashSet<>(a.keySet());
    keys.addAll(b.keySet());
    return keys;
  }
}
