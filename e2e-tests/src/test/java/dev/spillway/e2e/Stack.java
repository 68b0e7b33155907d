package dev.spillway.e2e;

import dev.spillway.controlplane.ControlPlaneApplication;
import dev.spillway.dataplane.NodeSettings;
import dev.spillway.dataplane.SpillwayNode;
import dev.spillway.testsupport.TestDatabase;
import dev.spillway.testsupport.TestDatabases;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.json.JsonMapper;

/**
 * A control plane on its own database and nodes that follow it, all in this JVM, with generated secrets. Every
 * HTTP response a test receives through {@link #send} is kept, so error bodies can be checked for secrets too.
 */
final class Stack implements AutoCloseable {
  final String adminToken = "adm-" + random(24);
  final String nodeToken = "node-" + random(24);
  final String secretKey = Base64.getEncoder().encodeToString(randomBytes(32));
  final TestDatabase db;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  final List<String> responseBodies = new CopyOnWriteArrayList<>();
  private ConfigurableApplicationContext controlPlane;
  private final List<ConfigurableApplicationContext> replicas = new CopyOnWriteArrayList<>();
  private int controlPlanePort;

  Stack(String name) {
    db = TestDatabases.create(name);
  }

  Stack startControlPlane(Map<String, String> extra) {
    controlPlane = runControlPlane(extra);
    controlPlanePort = Integer.parseInt(controlPlane.getEnvironment().getProperty("local.server.port"));
    return this;
  }

  /**
   * Another control-plane replica on the same database and secrets (stopped by {@link #close}); returns its base
   * URI. Replicas learn of each other's changes only through PostgreSQL LISTEN/NOTIFY.
   */
  URI startReplica(Map<String, String> extra) {
    ConfigurableApplicationContext replica = runControlPlane(extra);
    replicas.add(replica);
    return URI.create("http://127.0.0.1:" + replica.getEnvironment().getProperty("local.server.port"));
  }

  /** An admin API call to a given replica. */
  HttpResponse<String> adminAt(URI base, String method, String path, String json) {
    HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
        .header("Authorization", "Bearer " + adminToken)
        .header("Content-Type", "application/json")
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    return send(request.build());
  }

  private ConfigurableApplicationContext runControlPlane(Map<String, String> extra) {
    Map<String, Object> props = new HashMap<>();
    props.put("server.port", "0");
    // The management port (metrics) too: several control planes run in this JVM.
    props.put("management.server.port", "0");
    props.put("spring.datasource.url", db.jdbcUrl());
    props.put("spring.datasource.username", db.user());
    props.put("spring.datasource.password", db.password());
    props.put("spillway.admin-token", adminToken);
    props.put("spillway.node-token", nodeToken);
    props.put("spillway.secret-key", secretKey);
    props.put("spillway.long-poll-timeout", "5s");
    props.put("spillway.allow-private-provider-urls", "true");
    props.putAll(extra);
    // As command-line arguments: they outrank application.yml, which default properties would not.
    String[] args = props.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new);
    return new SpringApplicationBuilder(ControlPlaneApplication.class).run(args);
  }

  void stopControlPlane() {
    controlPlane.close();
  }

  /**
   * Provider {@code oai} (type openai) at {@code baseUrl} and route {@code assistant} to its {@code gpt-4o}, through
   * the admin API; priced at $2.50 / $10 per million input / output tokens when {@code priced}.
   */
  void openAiAssistantRoute(String baseUrl, boolean priced) {
    expect(admin("POST", "/api/v1/providers", "{\"name\":\"oai\",\"type\":\"openai\",\"base_url\":\"" + baseUrl
        + "\",\"keys\":[{\"name\":\"main\",\"value\":\"sk-oai-000000000000\"}]}"), 201);
    expect(admin("POST", "/api/v1/routes",
        "{\"model\":\"assistant\",\"targets\":[{\"provider\":\"oai\",\"model\":\"gpt-4o\"}]}"), 201);
    if (priced) {
      expect(admin("PUT", "/api/v1/prices/oai/gpt-4o", "{\"input_per_mtok_usd\":2.5,\"output_per_mtok_usd\":10}"),
          200);
    }
  }

  /** A new virtual key named {@code k} in {@code teamId}, through the admin API; its secret. */
  String createKey(String teamId) {
    HttpResponse<String> created = admin("POST", "/api/v1/virtual-keys",
        "{\"name\":\"k\",\"team_id\":\"" + teamId + "\"}");
    expect(created, 201);
    return JsonMapper.builder().build().readTree(created.body()).path("key").asString();
  }

  private static void expect(HttpResponse<String> response, int status) {
    if (response.statusCode() != status) {
      throw new AssertionError("expected " + status + ", got " + response.statusCode() + ": " + response.body());
    }
  }

  /** The control plane's management port, where it serves {@code /metrics}. */
  int controlPlaneManagementPort() {
    return Integer.parseInt(controlPlane.getEnvironment().getProperty("local.management.port"));
  }

  URI controlPlaneUri() {
    return URI.create("http://127.0.0.1:" + controlPlanePort);
  }

  SpillwayNode startNode(Path stateDir, URI controlPlane) {
    return startNode(stateDir, controlPlane, Map.of());
  }

  /** A node with more environment (e.g. the cache's database: {@link #databaseEnv}). */
  SpillwayNode startNode(Path stateDir, URI controlPlane, Map<String, String> extra) {
    return startNode(stateDir, controlPlane, extra, 0);
  }

  /** A node on a given port (0: any free one), e.g. one the control plane was told of before it started. */
  SpillwayNode startNode(Path stateDir, URI controlPlane, Map<String, String> extra, int port) {
    Map<String, String> env = new HashMap<>();
    env.put("SPILLWAY_CP_URL", controlPlane.toString());
    env.put("SPILLWAY_NODE_TOKEN", nodeToken);
    env.put("SPILLWAY_DP_THREADS", "2");
    // Test nodes start cold: the warm-up (docs/benchmarks.md) is for nodes that take real traffic.
    env.put("SPILLWAY_DP_WARMUP_SECONDS", "0");
    env.put("SPILLWAY_DP_HOST", "127.0.0.1");
    // Fake providers listen on loopback; the production default (false) would refuse them.
    env.put("SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS", "true");
    env.put("SPILLWAY_NODE_ID", "e2e-" + stateDir.getFileName());
    env.put("SPILLWAY_NODE_HEARTBEAT_SECONDS", "1");
    env.putAll(extra);
    return SpillwayNode.start(NodeSettings.from(env, new String[] {"--port", Integer.toString(port), "--state-dir", stateDir.toString()}));
  }

  /** Waits until every one of {@code nodes} serves the control plane's current snapshot (or a newer one). */
  void awaitCurrentSnapshot(List<SpillwayNode> nodes) {
    long version;
    try {
      version = tools.jackson.databind.json.JsonMapper.builder().build()
          .readTree(admin("GET", "/api/v1/snapshots/current", null).body()).path("version").asLong();
    } catch (RuntimeException e) {
      throw new IllegalStateException("cannot read the current snapshot's version", e);
    }
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> nodes.stream()
        .allMatch(n -> n.config().current() != null && n.config().current().version() >= version));
  }

  /** The environment that points a node's cache at this stack's database. */
  Map<String, String> databaseEnv() {
    return Map.of("SPILLWAY_DB_URL", db.jdbcUrl(), "SPILLWAY_DB_USER", db.user(), "SPILLWAY_DB_PASSWORD",
        db.password());
  }

  HttpResponse<String> admin(String method, String path, String json) {
    HttpRequest.Builder request = HttpRequest.newBuilder(controlPlaneUri().resolve(path))
        .header("Authorization", "Bearer " + adminToken)
        .header("Content-Type", "application/json")
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    return send(request.build());
  }

  HttpResponse<String> chat(SpillwayNode node, String key, String model, String text) {
    return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port() + "/v1/chat/completions"))
        .header("Authorization", "Bearer " + key)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model
            + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}"))
        .build());
  }

  HttpResponse<String> send(HttpRequest request) {
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      responseBodies.add(response.statusCode() + " " + response.body());
      return response;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    for (ConfigurableApplicationContext replica : replicas) {
      if (replica.isActive()) {
        replica.close();
      }
    }
    if (controlPlane != null && controlPlane.isActive()) {
      controlPlane.close();
    }
  }

  private static String random(int chars) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(chars)).substring(0, chars);
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }
}
