package dev.spillway.controlplane;

import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.awaitility.Awaitility.await;

import dev.spillway.testsupport.TestDatabase;
import dev.spillway.testsupport.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.awaitility.core.ConditionFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Base of the control plane's integration tests: the real application on a random loopback port, over one fresh
 * PostgreSQL database that Flyway migrates at start. Every subclass shares this one application through Spring's
 * context cache (the configuration below is the only one), so tests share the database too: each test names its
 * own teams, providers, routes and keys with {@link #unique} and never assumes it is alone.
 */
@SpringBootTest(classes = ControlPlaneApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class ControlPlaneIntegrationTest {
  protected static final String ADMIN_TOKEN = "it-admin-" + randomHex(16);
  protected static final String NODE_TOKEN = "it-node-" + randomHex(16);
  protected static final byte[] SECRET_KEY = randomBytes(32);
  protected static final Duration LONG_POLL_TIMEOUT = Duration.ofSeconds(2);
  /** Generous bound for asynchronous work (snapshot rebuilds) that normally takes milliseconds. */
  protected static final Duration ASYNC_TIMEOUT = Duration.ofSeconds(10);

  /** The control plane's client secret at the IdP (SPILLWAY_OIDC_CLIENT_SECRET). */
  protected static final String OIDC_CLIENT_SECRET = "it-client-secret";
  /** Organisation admins by configuration (SPILLWAY_ADMIN_EMAILS). */
  protected static final String ADMIN_EMAIL = "admin@it.spillway.test";
  /** The team that the IdP group {@code it-research-leads} administers (SPILLWAY_OIDC_GROUP_ROLES). */
  protected static final String GROUP_TEAM = "it-group-team";
  /** A real OpenID Connect provider in this JVM; each sign-in takes its user from {@link #signInAs}. */
  protected static final MockOAuth2Server IDP = startIdp();
  /** The budget-alert webhook (SPILLWAY_ALERT_WEBHOOK_URL) of the application under test. */
  protected static final WebhookReceiver WEBHOOK = startWebhook();
  /** The webhook's signing secret (SPILLWAY_ALERT_WEBHOOK_SECRET). */
  protected static final String WEBHOOK_SECRET = "it-webhook-" + randomHex(16);
  /** How long the control plane waits for the webhook's answer here (5 s in production). */
  protected static final Duration WEBHOOK_TIMEOUT = Duration.ofSeconds(2);

  private static final TestDatabase DATABASE = TestDatabases.create("control_plane_it");
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  @DynamicPropertySource
  static void controlPlaneProperties(DynamicPropertyRegistry registry) {
    properties().forEach((name, value) -> registry.add(name, () -> value));
  }

  /** The settings of the application under test; a {@link #startReplica replica} gets the same. */
  private static Map<String, String> properties() {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("spring.datasource.url", DATABASE.jdbcUrl());
    props.put("spring.datasource.username", DATABASE.user());
    props.put("spring.datasource.password", DATABASE.password());
    props.put("server.address", "127.0.0.1");
    props.put("spillway.admin-token", ADMIN_TOKEN);
    props.put("spillway.node-token", NODE_TOKEN);
    props.put("spillway.secret-key", Base64.getEncoder().encodeToString(SECRET_KEY));
    props.put("spillway.long-poll-timeout", LONG_POLL_TIMEOUT.toMillis() + "ms");
    props.put("spillway.demo-seed-file", "");
    // Fake providers listen on loopback (ProviderUrlPolicyIT runs a replica with the production default, false).
    props.put("spillway.allow-private-provider-urls", "true");
    props.put("spillway.oidc.issuer-uri", IDP.issuerUrl("default").toString());
    props.put("spillway.oidc.client-id", "spillway-it");
    props.put("spillway.oidc.client-secret", OIDC_CLIENT_SECRET);
    props.put("spillway.oidc.admin-emails", ADMIN_EMAIL + ", second-admin@it.spillway.test");
    props.put("spillway.oidc.group-roles", "it-platform=org_admin, it-auditors=viewer, it-research-leads="
        + GROUP_TEAM + ":team_admin");
    // Tests sweep rotated keys explicitly; a background sweep would bump versions at random moments.
    props.put("spillway.rotation-sweep-interval-ms", "3600000");
    // A usage batch that cannot get its locks is answered 503 after this long (UsageIngestIT holds a lock on purpose).
    props.put("spillway.usage-lock-timeout", "2s");
    // Likewise the lease cleanup: tests run it explicitly (a background run would hold its lock at random moments).
    props.put("spillway.leases.cleanup-interval-ms", "3600000");
    // And the cache purge (CachePurgerIT runs it explicitly).
    props.put("spillway.cache-purge-interval-ms", "3600000");
    // And the request-log retention (RequestLogRetentionIT runs it explicitly).
    props.put("spillway.request-log-purge-interval-ms", "3600000");
    // Budget alerts: checked, sent and retried in tenths of seconds instead of seconds, so tests wait little.
    props.put("spillway.alerts.webhook-url", WEBHOOK.url());
    props.put("spillway.alerts.webhook-secret", WEBHOOK_SECRET);
    props.put("spillway.alerts.webhook-timeout", WEBHOOK_TIMEOUT.toMillis() + "ms");
    props.put("spillway.alerts.retry-initial-backoff", "200ms");
    props.put("spillway.alerts.check-interval-ms", "100");
    props.put("spillway.alerts.delivery-poll-interval-ms", "100");
    return props;
  }

  /**
   * A second control plane on the same database, secrets and IdP, on its own random port: another replica behind
   * a load balancer, with these settings on top. The caller closes it.
   */
  protected static ConfigurableApplicationContext startReplica(Map<String, String> extra) {
    Map<String, String> props = properties();
    props.put("server.port", "0");
    props.put("management.server.port", "0");
    props.putAll(extra);
    // As command-line arguments: they outrank application.yml, which default properties would not.
    String[] args = props.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue())
        .toArray(String[]::new);
    return new SpringApplicationBuilder(ControlPlaneApplication.class).run(args);
  }

  /** The management port (metrics, health) of the application under test: random, as its main port. */
  protected int managementPort() {
    return Integer.parseInt(environment.getRequiredProperty("local.management.port"));
  }

  /** The base URL of a replica from {@link #startReplica}. */
  protected static String baseUrlOf(ConfigurableApplicationContext replica) {
    return "http://127.0.0.1:" + replica.getEnvironment().getProperty("local.server.port");
  }

  @LocalServerPort
  private int port;

  @Autowired
  protected JdbcClient jdbc;

  @Autowired
  private org.springframework.core.env.Environment environment;

  /** Authenticated with the bootstrap admin token (an organisation admin). */
  protected ApiClient admin() {
    return bearer(ADMIN_TOKEN);
  }

  /** Authenticated as a data-plane node. */
  protected ApiClient node() {
    return bearer(NODE_TOKEN);
  }

  /** A new browser-like HTTP client (its own cookies) for the dashboard. */
  protected DashboardSession browser() {
    return new DashboardSession(baseUrl());
  }

  /**
   * Signs a new browser in through the IdP as this person (subject derived from the email) with these IdP groups,
   * and checks that the sign-in landed on the dashboard.
   */
  protected DashboardSession signInAs(String email, String... groups) {
    DashboardSession session = browser();
    expectSignIn(email, groups);
    ApiResponse landed = session.signIn();
    if (landed.status() != 200 || !landed.path().contains("/?continue") && !landed.path().endsWith("/")) {
      throw new AssertionError("sign-in of " + email + " did not land on the dashboard: " + landed.describe());
    }
    return session;
  }

  /** The IdP's answer to the next sign-in: this person, these groups. */
  protected static void expectSignIn(String email, String... groups) {
    java.util.Map<String, Object> claims = new java.util.HashMap<>();
    claims.put("email", email);
    claims.put("email_verified", true);
    claims.put("name", email.substring(0, email.indexOf('@')));
    claims.put("groups", java.util.List.of(groups));
    IDP.enqueueCallback(new DefaultOAuth2TokenCallback("default", "sub-" + email, "JWT", null, claims, 3600));
  }

  protected String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  private static WebhookReceiver startWebhook() {
    WebhookReceiver receiver = WebhookReceiver.start();
    Runtime.getRuntime().addShutdownHook(new Thread(receiver::close, "webhook-shutdown"));
    return receiver;
  }

  private static MockOAuth2Server startIdp() {
    MockOAuth2Server server = new MockOAuth2Server();
    server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "idp-shutdown"));
    return server;
  }

  protected ApiClient anonymous() {
    return withAuthorization(null);
  }

  protected ApiClient bearer(String token) {
    return withAuthorization("Bearer " + token);
  }

  protected ApiClient withAuthorization(String headerValue) {
    return new ApiClient("http://127.0.0.1:" + port, headerValue);
  }

  /** A name no other test uses: lower-case, so it is a valid slug as well. */
  protected static String unique(String prefix) {
    return prefix + "-" + SEQUENCE.incrementAndGet() + "-" + randomHex(3);
  }

  // --- fixtures -------------------------------------------------------------------------------------------------

  protected JsonNode createTeam(String name) {
    return assertStatus(admin().post("/api/v1/teams", """
        {"name": "%s"}""".formatted(name)), 201);
  }

  /** An {@code openai} provider with one key named {@code primary}. */
  protected JsonNode createProvider(String name, String keyValue) {
    return assertStatus(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "openai", "keys": [{"name": "primary", "value": "%s"}]}"""
        .formatted(name, keyValue)), 201);
  }

  protected JsonNode createMockProvider(String name) {
    return assertStatus(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "mock"}""".formatted(name)), 201);
  }

  protected JsonNode createRoute(String model, String providerName) {
    return assertStatus(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "upstream-1"}]}""".formatted(model, providerName)),
        201);
  }

  /** A virtual key; the response carries the secret {@code key}. */
  protected JsonNode createKey(String teamId, String name) {
    return assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "%s", "team_id": "%s"}""".formatted(name, teamId)), 201);
  }

  /** A named API token with this role (and team, for team-scoped roles); returns the secret. */
  protected String createApiToken(String role, String teamId) {
    String team = teamId == null ? "" : ", \"team_id\": \"" + teamId + "\"";
    return assertStatus(admin().post("/api/v1/api-tokens", """
        {"name": "%s", "role": "%s"%s}""".formatted(unique("token"), role, team)), 201).get("token").stringValue();
  }

  // --- config version and snapshots -----------------------------------------------------------------------------

  /** The committed config version, straight from the database. */
  protected long configVersion() {
    return jdbc.sql("SELECT version FROM config_version").query(Long.class).single();
  }

  /** The version this control plane currently serves, from {@code /api/v1/snapshots/current}. */
  protected long publishedVersion() {
    return assertStatus(admin().get("/api/v1/snapshots/current"), 200).get("version").asLong();
  }

  /** Awaitility, polling often: the asynchronous work here takes milliseconds, not the default 100 ms steps. */
  protected static ConditionFactory eventually() {
    return await().atMost(ASYNC_TIMEOUT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10));
  }

  /** Waits until the served snapshot is the committed config, and returns that version. */
  protected long awaitSnapshotCaughtUp() {
    eventually().until(() -> publishedVersion() == configVersion());
    return publishedVersion();
  }

  protected ApiResponse pollSnapshot(long knownVersion, String... headers) {
    return node().get("/internal/v1/snapshots?known_version=" + knownVersion, headers);
  }

  protected long auditEventCount() {
    return jdbc.sql("SELECT count(*) FROM audit_events").query(Long.class).single();
  }

  protected static UUID uuid(JsonNode node) {
    return UUID.fromString(node.stringValue());
  }

  protected static String sha256Hex(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String randomHex(int bytes) {
    return HexFormat.of().formatHex(randomBytes(bytes));
  }

  private static byte[] randomBytes(int count) {
    byte[] bytes = new byte[count];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }
}
