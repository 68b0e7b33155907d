package dev.spillway.controlplane.sso;

import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import dev.spillway.controlplane.DashboardSession;
import java.net.HttpCookie;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Sign-in through a real OpenID Connect provider (mock-oauth2-server in this JVM) with a real HTTP client and its
 * cookies: users are created on first sign-in, configured admin emails become org admins, IdP groups map to roles,
 * a user without a role is told so, sign-out ends the session at the IdP too, and the session works on the admin
 * API with CSRF protection.
 */
class DashboardLoginIT extends ControlPlaneIntegrationTest {

  @Test
  void theFirstSignInCreatesTheUser() {
    String email = unique("first") + "@example.com";
    assertThat(jdbc.sql("SELECT count(*) FROM users WHERE lower(email) = lower(?)").param(email).query(Long.class)
        .single()).isZero();

    signInAs(email);

    Map<String, Object> row = jdbc.sql("SELECT email, oidc_subject, oidc_issuer, last_login_at, status FROM users "
        + "WHERE lower(email) = lower(?)").param(email).query().singleRow();
    assertThat(row.get("oidc_subject")).isEqualTo("sub-" + email);
    assertThat((String) row.get("oidc_issuer")).startsWith(IDP.issuerUrl("default").toString().replaceAll("/$", ""));
    assertThat(row.get("last_login_at")).isNotNull();
    assertThat(row.get("status")).isEqualTo("active");
    assertThat(jdbc.sql("SELECT count(*) FROM audit_events WHERE action = 'user.create' AND actor_type = 'user' "
        + "AND actor_name = ?").param(email).query(Long.class).single()).isEqualTo(1);
  }

  @Test
  void aSecondSignInFindsTheSameUser() {
    String email = unique("again") + "@example.com";
    signInAs(email);
    signInAs(email.toUpperCase());

    assertThat(jdbc.sql("SELECT count(*) FROM users WHERE lower(email) = lower(?)").param(email).query(Long.class)
        .single()).isEqualTo(1);
  }

  @Test
  void aConfiguredAdminEmailBecomesOrgAdmin() {
    DashboardSession admin = signInAs(ADMIN_EMAIL);

    ApiResponse settings = admin.get("/settings");
    assertThat(settings.status()).isEqualTo(200);
    assertThat(settings.text()).contains("Organisation admin").contains(ADMIN_EMAIL);
    JsonNode me = assertStatus(admin.api("GET", "/api/v1/users", null, false), 200);
    assertThat(me.get("data").valueStream().filter(u -> u.get("email").stringValue().equals(ADMIN_EMAIL))
        .findFirst().orElseThrow().get("role").stringValue()).isEqualTo("org_admin");
  }

  @Test
  void aUserWithoutARoleSeesAnExplanationNotAnError() {
    DashboardSession nobody = signInAs(unique("nobody") + "@example.com");

    ApiResponse home = nobody.get("/");
    assertThat(home.status()).isEqualTo(200);
    assertThat(home.text()).contains("you have no role yet").doesNotContain("href=\"/teams\"");
    // Any other page sends them back to that explanation, not to an error.
    ApiResponse teams = nobody.get("/teams");
    assertThat(teams.status()).isEqualTo(302);
    assertThat(nobody.location(teams)).endsWith("/");
    assertThat(nobody.api("GET", "/api/v1/teams", null, false).status()).isEqualTo(403);
  }

  @Test
  void idpGroupsGrantRolesAndLeavingAGroupTakesThemAway() {
    JsonNode team = teamNamed(GROUP_TEAM);
    String teamId = team.get("id").stringValue();
    String email = unique("lead") + "@example.com";

    DashboardSession lead = signInAs(email, "it-research-leads");
    assertThat(lead.get("/teams/" + teamId).status()).isEqualTo(200);
    assertThat(jdbc.sql("SELECT role || '/' || source FROM team_memberships tm JOIN users u ON u.id = tm.user_id "
        + "WHERE lower(u.email) = lower(?)").param(email).query(String.class).single()).isEqualTo("team_admin/sso");

    signInAs(email);

    assertThat(jdbc.sql("SELECT count(*) FROM team_memberships tm JOIN users u ON u.id = tm.user_id "
        + "WHERE lower(u.email) = lower(?)").param(email).query(Long.class).single()).isZero();
    // The first session sees the change at once: roles are read on every request.
    assertThat(lead.get("/teams/" + teamId).status()).isEqualTo(302);
  }

  @Test
  void aGroupMappedToOrgAdminGrantsIt() {
    DashboardSession platform = signInAs(unique("platform") + "@example.com", "it-platform");

    assertThat(platform.get("/settings").status()).isEqualTo(200);
    assertThat(platform.get("/audit").status()).isEqualTo(200);
  }

  @Test
  void theSessionCookieIsSpillwaySessionAndHttpOnly() {
    DashboardSession session = signInAs(unique("cookie") + "@example.com");

    HttpCookie cookie = session.sessionCookie();
    assertThat(cookie).isNotNull();
    assertThat(cookie.isHttpOnly()).isTrue();
    ApiResponse page = session.get("/login");
    assertThat(page.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith("JSESSIONID"));
  }

  @Test
  void signingOutEndsTheSessionAndSignsOutAtTheIdp() {
    DashboardSession admin = signInAs(ADMIN_EMAIL);
    assertThat(admin.get("/teams").status()).isEqualTo(200);

    ApiResponse logout = admin.post("/logout", Map.of());

    assertThat(logout.status()).isEqualTo(302);
    String endSession = admin.location(logout);
    assertThat(endSession).startsWith(IDP.issuerUrl("default").toString().replaceAll("/$", "") + "/endsession")
        .contains("id_token_hint=").contains("post_logout_redirect_uri=");
    ApiResponse back = admin.follow(admin.getAbsolute(endSession));
    assertThat(back.status()).isEqualTo(200);
    assertThat(back.text()).contains("You have signed out");
    ApiResponse teams = admin.get("/teams");
    assertThat(teams.status()).isEqualTo(302);
    assertThat(admin.location(teams)).endsWith("/login");
  }

  @Test
  void aDisabledUserCannotSignIn() {
    String email = unique("disabled") + "@example.com";
    assertStatus(admin().post("/api/v1/users", """
        {"email": "%s", "status": "disabled"}""".formatted(email)), 201);
    DashboardSession session = browser();
    expectSignIn(email);

    ApiResponse landed = session.signIn();

    assertThat(landed.path()).contains("/login?error");
    assertThat(landed.text()).contains("disabled");
    assertThat(session.get("/").status()).isEqualTo(302);
  }

  @Test
  void withoutASessionPagesRedirectAndHtmxGetsAWholePageRedirect() {
    DashboardSession anonymous = browser();

    ApiResponse page = anonymous.get("/teams");
    assertThat(page.status()).isEqualTo(302);
    assertThat(anonymous.location(page)).endsWith("/login");

    ApiResponse fragment = anonymous.get("/teams?sort=name", "HX-Request", "true");
    assertThat(fragment.status()).isEqualTo(401);
    assertThat(fragment.header("HX-Redirect")).isEqualTo("/login");
    assertThat(fragment.text()).doesNotContain("Sign in");
  }

  @Test
  void anExpiredSessionOnAnHtmxPostAlsoRedirectsToSignIn() {
    DashboardSession admin = signInAs(ADMIN_EMAIL);
    String token = admin.csrfToken();
    admin.dropSession();

    ApiResponse post = admin.postWithoutCsrf("/teams", Map.of("name", unique("late"), "_csrf", token),
        "HX-Request", "true");

    assertThat(post.status()).isEqualTo(401);
    assertThat(post.header("HX-Redirect")).isEqualTo("/login");
  }

  @Test
  void aSessionCallsTheAdminApiAndItsWritesNeedTheCsrfToken() {
    DashboardSession admin = signInAs(ADMIN_EMAIL);
    long audits = auditEventCount();

    ApiResponse forged = admin.api("POST", "/api/v1/teams", "{\"name\": \"%s\"}".formatted(unique("forged")), false);
    assertThat(forged.status()).isEqualTo(403);
    assertThat(forged.json().get("error").get("message").stringValue()).contains("CSRF");
    assertThat(auditEventCount()).isEqualTo(audits);

    String name = unique("via-session");
    JsonNode created = assertStatus(admin.api("POST", "/api/v1/teams", "{\"name\": \"%s\"}".formatted(name), true),
        201);
    Map<String, Object> audit = jdbc.sql("SELECT actor_type, actor_name FROM audit_events WHERE action = "
        + "'team.create' AND resource_id = ?").param(created.get("id").stringValue()).query().singleRow();
    assertThat(audit).containsEntry("actor_type", "user").containsEntry("actor_name", ADMIN_EMAIL);
  }

  @Test
  void aBearerTokenIsJudgedAloneEvenWithASessionCookie() {
    DashboardSession admin = signInAs(ADMIN_EMAIL);

    ApiResponse withBadToken = admin.getAbsolute(baseUrl() + "/api/v1/teams", "Authorization", "Bearer nope");

    assertThat(withBadToken.status()).isEqualTo(401);
    // A bearer token needs no CSRF token: browsers never send one on their own.
    ApiResponse bearerWrite = admin().post("/api/v1/teams", "{\"name\": \"%s\"}".formatted(unique("bearer")));
    assertThat(bearerWrite.status()).isEqualTo(201);
  }

  @Test
  void aRoleGivenWhileSignedInHoldsAtOnce() {
    String email = unique("promoted") + "@example.com";
    DashboardSession session = signInAs(email);
    assertThat(session.get("/audit").status()).isEqualTo(302);
    String userId = jdbc.sql("SELECT id::text FROM users WHERE lower(email) = lower(?)").param(email)
        .query(String.class).single();

    assertStatus(admin().patch("/api/v1/users/" + userId, "{\"role\": \"viewer\"}"), 200);

    assertThat(session.get("/audit").status()).isEqualTo(200);
    assertThat(session.post("/teams", Map.of("name", unique("viewer-write"))).status()).isEqualTo(403);
  }

  private JsonNode teamNamed(String name) {
    JsonNode teams = assertStatus(admin().get("/api/v1/teams"), 200).get("data");
    return teams.valueStream().filter(t -> t.get("name").stringValue().equals(name)).findFirst()
        .orElseGet(() -> createTeam(name));
  }
}
