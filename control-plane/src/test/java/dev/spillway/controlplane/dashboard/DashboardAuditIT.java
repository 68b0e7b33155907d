package dev.spillway.controlplane.dashboard;

import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import dev.spillway.controlplane.DashboardSession;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import tools.jackson.databind.JsonNode;

/**
 * Every mutating action of the dashboard lands in the audit log under the signed-in user's e-mail (actor type
 * {@code user}), with the action and resource it changed. {@link #coversEveryMutatingDashboardHandler()} keeps the
 * list honest: a new dashboard POST handler fails it until it is added here or named as one that changes nothing.
 */
class DashboardAuditIT extends ControlPlaneIntegrationTest {
  /**
   * Dashboard POSTs that read or probe but change no configuration, so nothing is audited. A replay changes no
   * configuration either; it is audited all the same, as request.replay (RequestLogReplayIT).
   */
  static final Set<String> NOT_MUTATING = Set.of("/routes/check", "/providers/{id}/test", "/denied",
      "/logs/{requestId}/replay");

  private static DashboardSession admin;
  private static JsonNode orgBefore;

  @Autowired
  @Qualifier("requestMappingHandlerMapping")
  RequestMappingHandlerMapping mappings;

  /**
   * One dashboard action: the handler's pattern, the audit action it must record, and the steps (set-up through the
   * admin API, then the dashboard post) returning the id of the changed resource, or null where it has none.
   */
  record Action(String pattern, String auditAction, Function<DashboardAuditIT, String> perform) {
    @Override
    public String toString() {
      return "POST " + pattern + " → " + auditAction;
    }
  }

  @BeforeEach
  void signIn() {
    if (admin == null) {
      admin = signInAs(ADMIN_EMAIL);
      orgBefore = assertStatus(admin().get("/api/v1/org"), 200);
    }
  }

  /** The org is shared by every test class on this database: put back its name and limits. */
  @AfterEach
  void restoreOrg() {
    JsonNode now = assertStatus(admin().get("/api/v1/org"), 200);
    if (!now.get("name").equals(orgBefore.get("name")) || !now.path("budget").equals(orgBefore.path("budget"))) {
      assertStatus(admin().put("/api/v1/org", """
          {"name": %s, "budget": %s, "rate_limit": %s}""".formatted(orgBefore.get("name"),
          orgBefore.path("budget").isMissingNode() ? "null" : orgBefore.get("budget"),
          orgBefore.path("rate_limit").isMissingNode() ? "null" : orgBefore.get("rate_limit"))), 200);
    }
  }

  static Stream<Action> actions() {
    return Stream.of(
        new Action("/teams", "team.create", t -> t.idFromLocation(admin.post("/teams",
            Map.of("name", unique("audit-team"))))),
        new Action("/teams/{id}/limits", "team.update", t -> {
          String team = t.team();
          t.ok(admin.post("/teams/" + team + "/limits", Map.of("limitUsd", "42", "period", "monthly")));
          return team;
        }),
        new Action("/teams/{id}/cache", "team.update", t -> {
          String team = t.team();
          t.ok(admin.post("/teams/" + team + "/cache", Map.of("mode", "semantic", "threshold", "0.9")));
          return team;
        }),
        new Action("/teams/{id}/logging", "team.update", t -> {
          String team = t.team();
          t.ok(admin.post("/teams/" + team + "/logging", Map.of("content", "redacted", "retentionDays", "14")));
          return team;
        }),
        new Action("/teams/{id}/members", "team_member.add", t -> {
          String team = t.team();
          t.ok(admin.post("/teams/" + team + "/members", Map.of("email", t.user().email, "role", "viewer")));
          return null;
        }),
        new Action("/teams/{id}/members/{userId}", "team_member.update", t -> {
          String team = t.team();
          User user = t.member(team, "viewer");
          t.ok(admin.post("/teams/" + team + "/members/" + user.id, Map.of("role", "team_admin")));
          return null;
        }),
        new Action("/teams/{id}/members/{userId}/remove", "team_member.remove", t -> {
          String team = t.team();
          User user = t.member(team, "viewer");
          t.ok(admin.post("/teams/" + team + "/members/" + user.id + "/remove", Map.of()));
          return null;
        }),
        new Action("/teams/{id}/delete", "team.delete", t -> {
          String team = t.team();
          t.ok(admin.post("/teams/" + team + "/delete", Map.of()));
          return team;
        }),
        new Action("/cache/teams/{id}/invalidate", "cache.invalidate", t -> {
          String team = t.team();
          t.ok(admin.post("/cache/teams/" + team + "/invalidate", Map.of()));
          return team;
        }),
        new Action("/virtual-keys", "virtual_key.create", t -> t.idFromLocation(admin.post("/virtual-keys",
            Map.of("teamId", t.team(), "name", "audited")))),
        new Action("/virtual-keys/{id}", "virtual_key.update", t -> {
          String key = t.key();
          t.ok(admin.post("/virtual-keys/" + key, Map.of("name", "renamed", "limitUsd", "7", "period", "daily")));
          return key;
        }),
        new Action("/virtual-keys/{id}/revoke", "virtual_key.revoke", t -> {
          String key = t.key();
          t.ok(admin.post("/virtual-keys/" + key + "/revoke", Map.of()));
          return key;
        }),
        new Action("/virtual-keys/{id}/rotate", "virtual_key.rotate", t -> {
          String key = t.key();
          t.ok(admin.post("/virtual-keys/" + key + "/rotate", Map.of("graceSeconds", "0")));
          return null;
        }),
        new Action("/providers", "provider.create", t -> t.idFromLocation(admin.postPairs("/providers",
            t.providerForm(unique("audit-prov"), "sk-audit-0123456789")))),
        new Action("/providers/{id}", "provider.update", t -> {
          String name = unique("audit-prov");
          String id = t.createProvider(name, "sk-audit-before-0123").get("id").stringValue();
          t.ok(admin.postPairs("/providers/" + id, t.providerForm(name, "sk-audit-after-456789")));
          return id;
        }),
        new Action("/providers/{id}/delete", "provider.delete", t -> {
          String id = t.createMockProvider(unique("audit-prov")).get("id").stringValue();
          t.ok(admin.post("/providers/" + id + "/delete", Map.of()));
          return id;
        }),
        new Action("/routes", "route.create", t -> t.idFromLocation(admin.postPairs("/routes",
            t.routeForm(unique("audit-route"), t.provider(), "m1")))),
        new Action("/routes/{id}", "route.update", t -> {
          String provider = t.provider();
          String model = unique("audit-route");
          String id = t.createRoute(model, provider).get("id").stringValue();
          t.ok(admin.postPairs("/routes/" + id, t.routeForm(model, provider, "m2")));
          return id;
        }),
        new Action("/routes/{id}/delete", "route.delete", t -> {
          String id = t.createRoute(unique("audit-route"), t.provider()).get("id").stringValue();
          t.ok(admin.post("/routes/" + id + "/delete", Map.of()));
          return id;
        }),
        new Action("/routing-rules", "routing_rule.create", t -> {
          String route = unique("audit-rule-route");
          t.createRoute(route, t.provider());
          String name = unique("audit-rule");
          t.ok(admin.post("/routing-rules", Map.of("name", name, "route", route, "model", "audit-*")));
          return t.ruleId(name);
        }),
        new Action("/routing-rules/{id}/delete", "routing_rule.delete", t -> {
          String route = unique("audit-rule-route");
          t.createRoute(route, t.provider());
          String id = assertStatus(t.admin().post("/api/v1/routing-rules", """
              {"name": "%s", "route": "%s", "match": {"model": "audit-*"}}""".formatted(unique("audit-rule"), route)),
              201).get("id").stringValue();
          t.ok(admin.post("/routing-rules/" + id + "/delete", Map.of()));
          return id;
        }),
        new Action("/budgets/org", "org.update", t -> {
          t.ok(admin.post("/budgets/org", Map.of("limitUsd", "123456.78", "period", "monthly")));
          return null;
        }),
        new Action("/settings/org", "org.update", t -> {
          t.ok(admin.post("/settings/org", Map.of("name", unique("audited-org"))));
          return null;
        }),
        new Action("/settings/users/{id}", "user.update", t -> {
          User user = t.user();
          t.ok(admin.post("/settings/users/" + user.id, Map.of("role", "viewer", "status", "active")));
          return user.id;
        }),
        new Action("/nodes/{id}/forget", "node.delete", t -> {
          String node = unique("audit-node");
          assertStatus(t.pollSnapshot(0, "Spillway-Node-Id", node, "Spillway-Node-Address", "10.0.0.9:8000"), 200);
          t.ok(admin.post("/nodes/" + node + "/forget", Map.of()));
          return node;
        }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("actions")
  void isAuditedWithTheSignedInUser(Action action) {
    long before = audited(action.auditAction(), null);

    String resourceId = action.perform().apply(this);

    assertThat(audited(action.auditAction(), null)).as("%s by %s", action.auditAction(), ADMIN_EMAIL)
        .isEqualTo(before + 1);
    if (resourceId != null) {
      assertThat(audited(action.auditAction(), resourceId)).as("%s of %s", action.auditAction(), resourceId)
          .isEqualTo(1);
    }
  }

  @Test
  void coversEveryMutatingDashboardHandler() {
    Set<String> posts = new TreeSet<>();
    mappings.getHandlerMethods().forEach((info, method) -> {
      if (AnnotatedElementUtils.hasAnnotation(method.getBeanType(), DashboardController.class)
          && (info.getMethodsCondition().getMethods().isEmpty()
              || info.getMethodsCondition().getMethods().contains(RequestMethod.POST))) {
        posts.addAll(info.getPatternValues());
      }
    });
    Set<String> covered = actions().map(Action::pattern).collect(Collectors.toCollection(TreeSet::new));
    covered.addAll(NOT_MUTATING);

    assertThat(covered).isEqualTo(posts);
  }

  /** Audit events of {@code action} by the signed-in admin as a user, optionally for one resource. */
  private long audited(String action, String resourceId) {
    String sql = "SELECT count(*) FROM audit_events WHERE action = ? AND actor_type = 'user' AND actor_name = ?"
        + (resourceId == null ? "" : " AND resource_id = ?");
    List<Object> params = resourceId == null ? List.of(action, ADMIN_EMAIL) : List.of(action, ADMIN_EMAIL,
        resourceId);
    return jdbc.sql(sql).params(params).query(Long.class).single();
  }

  /** A dashboard answer that did what was asked: a page, a fragment, a redirect, or an htmx redirect. */
  private void ok(ApiResponse response) {
    assertThat(response.status()).as(response.describe()).isIn(200, 204, 302, 303);
  }

  private String idFromLocation(ApiResponse response) {
    ok(response);
    String location = admin.location(response);
    return location.substring(location.lastIndexOf('/') + 1);
  }

  private String ruleId(String name) {
    return assertStatus(admin().get("/api/v1/routing-rules"), 200).get("data").valueStream()
        .filter(r -> r.get("name").stringValue().equals(name)).findFirst().orElseThrow().get("id").stringValue();
  }

  private String team() {
    return createTeam(unique("audit-team")).get("id").stringValue();
  }

  private String key() {
    return createKey(team(), "audited").get("id").stringValue();
  }

  private String provider() {
    return createMockProvider(unique("audit-prov")).get("name").stringValue();
  }

  record User(String id, String email) {}

  private User user() {
    String email = unique("audit-user") + "@example.com";
    String id = assertStatus(admin().post("/api/v1/users", """
        {"email": "%s"}""".formatted(email)), 201).get("id").stringValue();
    return new User(id, email);
  }

  private User member(String teamId, String role) {
    User user = user();
    assertStatus(admin().post("/api/v1/teams/" + teamId + "/members", """
        {"user_id": "%s", "role": "%s"}""".formatted(user.id, role)), 201);
    return user;
  }

  private List<String> providerForm(String name, String keyValue) {
    return List.of("name", name, "type", "openai-compatible", "baseUrl", "http://127.0.0.1:9/v1",
        "keyName", "primary", "keyValue", keyValue, "keyWeight", "1");
  }

  private List<String> routeForm(String model, String provider, String targetModel) {
    return List.of("model", model, "targetProvider", provider, "targetModel", targetModel, "targetWeight", "1");
  }
}
