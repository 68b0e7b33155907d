package dev.spillway.controlplane.dashboard;

import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import dev.spillway.controlplane.DashboardSession;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Every dashboard page and action refuses the closest role that must not use it (403, nothing changed), and every
 * dashboard POST refuses a request without the CSRF token even from an org admin (403, nothing changed). A test
 * keeps the list equal to the handlers that exist.
 */
class DashboardAuthorizationIT extends ControlPlaneIntegrationTest {

  record Case(String method, String pattern, String path, String wrongRole) {
    @Override
    public String toString() {
      return method + " " + pattern + " as " + wrongRole;
    }
  }

  /** Handlers that have no wrong role: public pages, and pages that list only what the caller may see. */
  // A logged request of another team is a not-found page, not a refusal (RequestLogPageIT).
  static final Set<String> WITHOUT_WRONG_ROLE = Set.of("GET /login", "* /denied", "GET /", "GET /teams",
      "GET /budgets", "GET /logs/{requestId}");

  static final class Fixture {
    String teamA;
    String teamB;
    String keyB;
    String userB;
    String providerId;
    String routeId;
    String ruleId;
    DashboardSession orgViewer;
    DashboardSession teamAdminA;
    DashboardSession teamViewerA;
    DashboardSession orgAdmin;
  }

  private static Fixture f;

  @Autowired
  @Qualifier("requestMappingHandlerMapping")
  RequestMappingHandlerMapping mappings;

  @BeforeEach
  void fixtures() {
    if (f != null) {
      return;
    }
    Fixture x = new Fixture();
    x.teamA = createTeam(unique("dash-a")).get("id").stringValue();
    x.teamB = createTeam(unique("dash-b")).get("id").stringValue();
    x.keyB = createKey(x.teamB, "dash-key").get("id").stringValue();
    x.providerId = createMockProvider(unique("dash-provider")).get("id").stringValue();
    String routeModel = unique("dash-route");
    x.routeId = createRoute(routeModel, assertStatus(admin().get("/api/v1/providers/" + x.providerId), 200)
        .get("name").stringValue()).get("id").stringValue();
    x.ruleId = assertStatus(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "%s", "match": {"model": "dash-*"}}""".formatted(unique("dash-rule"), routeModel)),
        201).get("id").stringValue();
    String viewerEmail = user(unique("org-viewer"), "viewer");
    String adminAEmail = user(unique("team-admin-a"), null);
    String viewerAEmail = user(unique("team-viewer-a"), null);
    String memberB = user(unique("member-b"), null);
    member(x.teamA, adminAEmail, "team_admin");
    member(x.teamA, viewerAEmail, "viewer");
    x.userB = member(x.teamB, memberB, "viewer");
    x.orgViewer = signInAs(viewerEmail);
    x.teamAdminA = signInAs(adminAEmail);
    x.teamViewerA = signInAs(viewerAEmail);
    x.orgAdmin = signInAs(ADMIN_EMAIL);
    f = x;
  }

  static Stream<Case> cases() {
    return Stream.of(
        c("GET", "/teams/{id}", "/teams/@teamB", "teamViewerA"),
        c("POST", "/teams", "/teams", "teamAdminA"),
        c("POST", "/teams/{id}/limits", "/teams/@teamA/limits", "teamAdminA"),
        c("POST", "/teams/{id}/cache", "/teams/@teamA/cache", "teamAdminA"),
        c("POST", "/teams/{id}/logging", "/teams/@teamB/logging", "teamAdminA"),
        c("POST", "/teams/{id}/members", "/teams/@teamB/members", "teamAdminA"),
        c("POST", "/teams/{id}/members/{userId}", "/teams/@teamB/members/@userB", "teamAdminA"),
        c("POST", "/teams/{id}/members/{userId}/remove", "/teams/@teamB/members/@userB/remove", "teamAdminA"),
        c("POST", "/teams/{id}/delete", "/teams/@teamA/delete", "teamAdminA"),
        c("GET", "/virtual-keys", "/virtual-keys?team=@teamB", "teamViewerA"),
        c("GET", "/virtual-keys/new", "/virtual-keys/new", "teamViewerA"),
        c("POST", "/virtual-keys", "/virtual-keys", "teamAdminA"),
        c("GET", "/virtual-keys/{id}", "/virtual-keys/@keyB", "teamViewerA"),
        c("POST", "/virtual-keys/{id}", "/virtual-keys/@keyB", "teamAdminA"),
        c("POST", "/virtual-keys/{id}/revoke", "/virtual-keys/@keyB/revoke", "teamAdminA"),
        c("POST", "/virtual-keys/{id}/rotate", "/virtual-keys/@keyB/rotate", "teamAdminA"),
        c("GET", "/providers", "/providers", "teamViewerA"),
        c("GET", "/providers/new", "/providers/new", "teamAdminA"),
        c("POST", "/providers", "/providers", "teamAdminA"),
        c("GET", "/providers/{id}", "/providers/@providerId", "teamViewerA"),
        c("POST", "/providers/{id}", "/providers/@providerId", "orgViewer"),
        c("POST", "/providers/{id}/test", "/providers/@providerId/test", "teamAdminA"),
        c("POST", "/providers/{id}/delete", "/providers/@providerId/delete", "orgViewer"),
        c("GET", "/routes", "/routes", "teamViewerA"),
        c("GET", "/routes/new", "/routes/new", "teamAdminA"),
        c("POST", "/routes", "/routes", "teamAdminA"),
        c("GET", "/routes/{id}", "/routes/@routeId", "teamViewerA"),
        c("POST", "/routes/{id}", "/routes/@routeId", "orgViewer"),
        c("POST", "/routes/check", "/routes/check", "teamAdminA"),
        c("POST", "/routes/{id}/delete", "/routes/@routeId/delete", "orgViewer"),
        c("GET", "/routes/{id}/health", "/routes/@routeId/health", "teamViewerA"),
        c("GET", "/routing-rules", "/routing-rules", "teamAdminA"),
        c("POST", "/routing-rules", "/routing-rules", "orgViewer"),
        c("POST", "/routing-rules/{id}/delete", "/routing-rules/@ruleId/delete", "orgViewer"),
        c("POST", "/budgets/org", "/budgets/org", "teamAdminA"),
        c("GET", "/usage", "/usage?team=@teamB", "teamViewerA"),
        c("GET", "/usage.csv", "/usage.csv?team=@teamB", "teamViewerA"),
        c("GET", "/cache", "/cache?team=@teamB", "teamViewerA"),
        c("GET", "/logs", "/logs?team_id=@teamB", "teamViewerA"),
        c("POST", "/logs/{requestId}/replay", "/logs/some-request/replay", "teamViewerA"),
        c("POST", "/cache/teams/{id}/invalidate", "/cache/teams/@teamB/invalidate", "teamAdminA"),
        c("GET", "/nodes", "/nodes", "teamAdminA"),
        c("POST", "/nodes/{id}/forget", "/nodes/some-node/forget", "orgViewer"),
        c("GET", "/audit", "/audit", "teamAdminA"),
        c("GET", "/settings", "/settings", "teamAdminA"),
        c("POST", "/settings/org", "/settings/org", "orgViewer"),
        c("POST", "/settings/users/{id}", "/settings/users/@userB", "orgViewer"));
  }

  private static Case c(String method, String pattern, String path, String wrongRole) {
    return new Case(method, pattern, path, wrongRole);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void refusesTheWrongRole(Case c) {
    long version = configVersion();
    long audits = auditEventCount();

    ApiResponse response = send(session(c.wrongRole()), c, true);

    assertThat(response.status()).as(response.describe()).isEqualTo(403);
    assertThat(configVersion()).isEqualTo(version);
    assertThat(auditEventCount()).isEqualTo(audits);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void refusesAPostWithoutTheCsrfTokenEvenFromAnOrgAdmin(Case c) {
    if (!c.method().equals("POST")) {
      return;
    }
    long version = configVersion();
    long audits = auditEventCount();

    ApiResponse response = send(f.orgAdmin, c, false);

    assertThat(response.status()).as(response.describe()).isEqualTo(403);
    assertThat(configVersion()).isEqualTo(version);
    assertThat(auditEventCount()).isEqualTo(audits);
  }

  @Test
  void aRefusedHtmxRequestGetsAnAlertFragmentNotAPage() {
    ApiResponse response = f.teamViewerA.get(resolve("/teams/@teamB"), "HX-Request", "true");

    assertThat(response.status()).isEqualTo(403);
    assertThat(response.text()).contains("alert").doesNotContain("<html");
  }

  @Test
  void coversEveryDashboardHandler() {
    Set<String> mapped = new TreeSet<>();
    mappings.getHandlerMethods().forEach((info, method) -> {
      if (!AnnotatedElementUtils.hasAnnotation(method.getBeanType(), DashboardController.class)) {
        return;
      }
      Set<String> methods = info.getMethodsCondition().getMethods().stream().map(Enum::name)
          .collect(Collectors.toSet());
      for (String pattern : info.getPatternValues()) {
        if (methods.isEmpty()) {
          mapped.add("* " + pattern);
        }
        methods.forEach(m -> mapped.add(m + " " + pattern));
      }
    });
    Set<String> covered = cases().map(c -> c.method() + " " + c.pattern()).collect(Collectors.toCollection(TreeSet::new));
    covered.addAll(WITHOUT_WRONG_ROLE);

    assertThat(covered).isEqualTo(mapped);
  }

  private static DashboardSession session(String role) {
    return switch (role) {
      case "orgViewer" -> f.orgViewer;
      case "teamAdminA" -> f.teamAdminA;
      case "teamViewerA" -> f.teamViewerA;
      default -> throw new IllegalArgumentException(role);
    };
  }

  private static ApiResponse send(DashboardSession session, Case c, boolean withCsrf) {
    String path = resolve(c.path());
    if (c.method().equals("GET")) {
      return session.get(path);
    }
    Map<String, String> form = new LinkedHashMap<>();
    form.put("name", "intruder");
    form.put("teamId", f.teamB);
    form.put("role", "team_admin");
    form.put("email", "x@example.com");
    return withCsrf ? session.post(path, form) : session.postWithoutCsrf(path, form);
  }

  private static String resolve(String path) {
    return path.replace("@teamA", f.teamA).replace("@teamB", f.teamB).replace("@keyB", f.keyB)
        .replace("@userB", f.userB).replace("@providerId", f.providerId).replace("@routeId", f.routeId)
        .replace("@ruleId", f.ruleId);
  }

  private String user(String name, String role) {
    String email = name + "@example.com";
    assertStatus(admin().post("/api/v1/users", role == null ? """
        {"email": "%s"}""".formatted(email) : """
        {"email": "%s", "role": "%s"}""".formatted(email, role)), 201);
    return email;
  }

  /** Adds the user to the team; returns the user's id. */
  private String member(String teamId, String email, String role) {
    String id = assertStatus(admin().get("/api/v1/users"), 200).get("data").valueStream()
        .filter(u -> u.get("email").stringValue().equals(email)).findFirst().orElseThrow().get("id").stringValue();
    assertStatus(admin().post("/api/v1/teams/" + teamId + "/members", """
        {"user_id": "%s", "role": "%s"}""".formatted(id, role)), 201);
    return id;
  }
}
