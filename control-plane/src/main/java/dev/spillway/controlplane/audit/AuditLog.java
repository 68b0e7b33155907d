package dev.spillway.controlplane.audit;

import dev.spillway.controlplane.common.Organization;
import dev.spillway.controlplane.security.Actor;
import dev.spillway.controlplane.security.CurrentActor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * Records who changed what, in the same transaction as the change. Callers pass before/after views that already
 * leave secrets out; only the fields that differ are stored.
 */
@Component
public class AuditLog {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final JdbcClient jdbc;

  public AuditLog(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  @Transactional(propagation = Propagation.MANDATORY)
  public void record(String action, String resourceType, Object resourceId, Map<String, ?> before,
      Map<String, ?> after, long configVersion) {
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
    jdbc.sql("""
        INSERT INTO audit_events (org_id, actor_type, actor_id, actor_name, action, resource_type, resource_id,
                                  before, after, config_version)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?)""")
        .params(Organization.DEFAULT_ID, actor.type(), actor.id(), actor.name(), action, resourceType,
            resourceId == null ? null : resourceId.toString(),
            before == null ? null : JSON.writeValueAsString(changedBefore),
            after == null ? null : JSON.writeValueAsString(changedAfter), configVersion)
        .update();
  }

  private static java.util.Set<String> union(Map<String, ?> a, Map<String, ?> b) {
    java.util.Set<String> keys = new java.util.LinkedHashSet<>(a.keySet());
    keys.addAll(b.keySet());
    return keys;
  }
}
