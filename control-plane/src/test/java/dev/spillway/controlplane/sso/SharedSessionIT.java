package dev.spillway.controlplane.sso;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import dev.spillway.controlplane.DashboardSession;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Dashboard sessions live in PostgreSQL (Spring Session JDBC), shared by every replica: a session signed in on one
 * replica works on another, CSRF token included; sign-out deletes the row on every replica; an expired or
 * unreadable row is "not signed in"; and the session row never holds a new key's secret, nor the IdP client's.
 */
class SharedSessionIT extends ControlPlaneIntegrationTest {
  private static final Pattern SECRET = Pattern.compile("data-testid=\"secret\">(sk-sw-[0-9A-Za-z]+)<");
  private static final String FLASH_MAPS = "org.springframework.web.servlet.support.SessionFlashMapManager.FLASH_MAPS";

  private static ConfigurableApplicationContext replicaB;
  private static String replicaBUrl;

  @BeforeAll
  static void startSecondReplica() {
    // As behind a TLS-terminating proxy (SPILLWAY_FORWARD_HEADERS=native); requests without the headers are plain.
    replicaB = startReplica(Map.of("server.forward-headers-strategy", "native"));
    replicaBUrl = baseUrlOf(replicaB);
  }

  @AfterAll
  static void stopSecondReplica() {
    replicaB.close();
  }

  @Test
  void aSessionSignedInOnOneReplicaWorksOnAnotherWithTheCsrfTokenOfTheFirst() {
    DashboardSession onA = signInAs(ADMIN_EMAIL);
    String tokenFromA = onA.csrfToken();
    DashboardSession onB = onA.onReplica(replicaBUrl);

    ApiResponse page = onB.get("/teams");
    assertThat(page.status()).as(page.describe()).isEqualTo(200);
    assertThat(page.text()).contains("data-testid=\"signed-in-as\">" + ADMIN_EMAIL + "<");

    ApiResponse forged = onB.postWithoutCsrf("/teams", Map.of("name", unique("forged")), "HX-Request", "true");
    assertThat(forged.status()).as("replica B checks the CSRF token too").isEqualTo(403);

    String name = unique("cross-replica");
    ApiResponse created = onB.postWithoutCsrf("/teams", Map.of("name", name, "_csrf", tokenFromA),
        "HX-Request", "true");
    assertThat(created.status()).as(created.describe()).isEqualTo(200);
    assertThat(created.header("HX-Redirect")).startsWith("/teams/");
    String audited = jdbc.sql("SELECT actor_name FROM audit_events WHERE action = 'team.create' AND resource_id = ?")
        .param(created.header("HX-Redirect").substring("/teams/".length())).query(String.class).single();
    assertThat(audited).isEqualTo(ADMIN_EMAIL);

    ApiResponse viaApi = onB.api("POST", "/api/v1/teams", "{\"name\": \"%s\"}".formatted(unique("api-b")), true);
    assertThat(viaApi.status()).as(viaApi.describe()).isEqualTo(201);
    assertThat(onA.get("/teams/" + viaApi.json().get("id").stringValue()).status())
        .as("and replica A still serves the same session").isEqualTo(200);
  }

  @Test
  void theSessionRowKeepsTheConfiguredTimeoutAndNoIdpCredentials() {
    DashboardSession session = signInAs(ADMIN_EMAIL);

    Map<String, Object> row = jdbc.sql("SELECT max_inactive_interval, principal_name FROM spring_session "
        + "WHERE session_id = ?").param(session.sessionId()).query().singleRow();

    assertThat(row).containsEntry("max_inactive_interval", (int) Duration.ofHours(8).toSeconds())
        .containsEntry("principal_name", ADMIN_EMAIL);
    assertThat(attributeNames(session)).contains("SPRING_SECURITY_CONTEXT")
        .noneMatch(name -> name.contains("AUTHORIZED_CLIENT"));
    assertThat(contains(attributeBytes(session), OIDC_CLIENT_SECRET)).isFalse();
  }

  @Test
  void theSessionCookieIsSecureExactlyOnHttpsRequests() {
    String plain = browser().get("/teams").header("Set-Cookie");
    String https = browser().onReplica(replicaBUrl).get("/teams", "X-Forwarded-Proto", "https").header("Set-Cookie");

    assertThat(plain).startsWith("SPILLWAY_SESSION=").contains("HttpOnly").contains("SameSite=Lax")
        .doesNotContain("Secure");
    assertThat(https).startsWith("SPILLWAY_SESSION=").contains("HttpOnly").contains("Secure");
  }

  @Test
  void signingOutOnOneReplicaDeletesTheSessionRowForEveryReplica() {
    DashboardSession onA = signInAs(unique("signout") + "@example.com");
    String id = onA.sessionId();
    assertThat(sessionRows(id)).isEqualTo(1);

    ApiResponse logout = onA.onReplica(replicaBUrl).post("/logout", Map.of());

    assertThat(logout.status()).isEqualTo(302);
    assertThat(sessionRows(id)).isZero();
    assertThat(jdbc.sql("SELECT count(*) FROM spring_session_attributes a LEFT JOIN spring_session s "
        + "ON s.primary_id = a.session_primary_id WHERE s.primary_id IS NULL").query(Long.class).single()).isZero();
    ApiResponse afterwards = onA.get("/");
    assertThat(afterwards.status()).isEqualTo(302);
    assertThat(onA.location(afterwards)).endsWith("/login");
  }

  @Test
  void anExpiredSessionRowMakesAnHtmxClickRedirectTheWholePageToSignIn() {
    DashboardSession admin = signInAs(ADMIN_EMAIL);
    String token = admin.csrfToken();
    long nineHoursAgo = System.currentTimeMillis() - Duration.ofHours(9).toMillis();
    jdbc.sql("UPDATE spring_session SET last_access_time = ?, expiry_time = ? WHERE session_id = ?")
        .params(nineHoursAgo, nineHoursAgo + Duration.ofHours(8).toMillis(), admin.sessionId()).update();

    ApiResponse click = admin.get("/teams?sort=name", "HX-Request", "true");
    ApiResponse post = admin.postWithoutCsrf("/teams", Map.of("name", unique("late"), "_csrf", token),
        "HX-Request", "true");

    assertThat(click.status()).isEqualTo(401);
    assertThat(click.header("HX-Redirect")).isEqualTo("/login");
    assertThat(post.status()).isEqualTo(401);
    assertThat(post.header("HX-Redirect")).isEqualTo("/login");
  }

  @Test
  void aSessionWhoseSignInCannotBeReadIsSignedOutNotBroken() {
    DashboardSession admin = signInAs(ADMIN_EMAIL);
    // As a replica of another version might have written it: bytes that do not deserialise.
    jdbc.sql("UPDATE spring_session_attributes SET attribute_bytes = ? WHERE attribute_name = "
        + "'SPRING_SECURITY_CONTEXT' AND session_primary_id = (SELECT primary_id FROM spring_session "
        + "WHERE session_id = ?)").params(new byte[] {(byte) 0xAC, (byte) 0xED, 0, 5, 0x73, 0x72, 0, 3, 'x', 'y',
            'z'}, admin.sessionId()).update();

    ApiResponse page = admin.get("/teams");
    ApiResponse click = admin.get("/teams", "HX-Request", "true");

    assertThat(page.status()).isEqualTo(302);
    assertThat(admin.location(page)).endsWith("/login");
    assertThat(click.status()).isEqualTo(401);
    assertThat(click.header("HX-Redirect")).isEqualTo("/login");
    assertThat(signInAs(ADMIN_EMAIL).get("/teams").status()).isEqualTo(200);
  }

  @Test
  void aNewKeysSecretIsNeverInTheSessionRowAndItsSealedFlashIsGoneOnceShown() {
    DashboardSession admin = signInAs(ADMIN_EMAIL);
    String teamId = createTeam(unique("flash")).get("id").stringValue();

    ApiResponse created = admin.post("/virtual-keys", Map.of("teamId", teamId, "name", "flash"));
    assertThat(created.status()).as(created.describe()).isEqualTo(302);
    byte[] beforeShown = attributeBytes(admin);
    assertThat(attributeNames(admin)).contains(FLASH_MAPS);
    String keyPath = URI.create(admin.location(created)).getPath();
    // Shown by the other replica: the sealed secret opens there too (same SPILLWAY_SECRET_KEY).
    String secret = secretOn(admin.onReplica(replicaBUrl).get(keyPath));

    assertThat(contains(beforeShown, secret)).as("the flash attribute holds the secret sealed").isFalse();
    assertThat(attributeNames(admin)).doesNotContain(FLASH_MAPS);
    assertThat(contains(attributeBytes(admin), secret)).isFalse();
    assertThat(admin.get(keyPath).text()).doesNotContain(secret);

    String keyId = keyPath.substring(keyPath.lastIndexOf('/') + 1);
    ApiResponse rotated = admin.post("/virtual-keys/" + keyId + "/rotate", Map.of("graceSeconds", "0"));
    byte[] rotatedBeforeShown = attributeBytes(admin);
    String newSecret = secretOn(admin.getAbsolute(admin.location(rotated)));
    assertThat(contains(rotatedBeforeShown, newSecret)).isFalse();
    assertThat(attributeNames(admin)).doesNotContain(FLASH_MAPS);
    assertThat(contains(attributeBytes(admin), newSecret)).isFalse();
  }

  private static String secretOn(ApiResponse page) {
    Matcher m = SECRET.matcher(page.text());
    assertThat(m.find()).as(page.describe()).isTrue();
    return m.group(1);
  }

  private long sessionRows(String sessionId) {
    return jdbc.sql("SELECT count(*) FROM spring_session WHERE session_id = ?").param(sessionId).query(Long.class)
        .single();
  }

  private List<String> attributeNames(DashboardSession session) {
    return jdbc.sql("SELECT a.attribute_name FROM spring_session_attributes a JOIN spring_session s "
        + "ON s.primary_id = a.session_primary_id WHERE s.session_id = ?").param(session.sessionId())
        .query(String.class).list();
  }

  /** Every attribute value of the session's row, as stored, one after the other. */
  private byte[] attributeBytes(DashboardSession session) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    jdbc.sql("SELECT a.attribute_bytes FROM spring_session_attributes a JOIN spring_session s "
        + "ON s.primary_id = a.session_primary_id WHERE s.session_id = ?").param(session.sessionId())
        .query((rs, n) -> rs.getBytes(1)).list().forEach(all::writeBytes);
    return all.toByteArray();
  }

  private static boolean contains(byte[] haystack, String needle) {
    byte[] n = needle.getBytes(StandardCharsets.UTF_8);
    outer:
    for (int i = 0; i + n.length <= haystack.length; i++) {
      for (int j = 0; j < n.length; j++) {
        if (haystack[i + j] != n[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
