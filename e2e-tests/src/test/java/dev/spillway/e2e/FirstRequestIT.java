package dev.spillway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.dataplane.SpillwayNode;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The first request end to end: admin API → PostgreSQL → snapshot → long-poll → node → provider, with the real
 * control plane and a real node in this JVM. The steps build on each other, so they run in order.
 */
@ExtendWith(NoLeaksExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FirstRequestIT {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final String PROVIDER_SECRET = "sk-provider-" + Long.toHexString(System.nanoTime()) + "-do-not-log";

  static Stack stack;
  static SpillwayNode node;
  static FakeProvider provider;
  static Path dir;
  static String demoKey;
  static String firstKey;
  static String timedKey;
  static String timedKeyId;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("e2e-first");
    provider = FakeProvider.start();
    stack = new Stack("e2e_first").startControlPlane(Map.of("spillway.demo-seed-file",
        dir.resolve("demo.env").toString()));
    node = stack.startNode(dir.resolve("node"), stack.controlPlaneUri());
  }

  @AfterAll
  static void stop() {
    node.close();
    stack.close();
    provider.close();
  }

  @Test
  @Order(1)
  void servesTheSeededDemoThroughTheNodeWithoutAnyProviderKey() throws Exception {
    demoKey = Files.readAllLines(dir.resolve("demo.env")).get(0).substring("SPILLWAY_DEMO_KEY=".length());

    await().atMost(Duration.ofSeconds(5)).until(() -> stack.chat(node, demoKey, "demo", "hello").statusCode() == 200);

    HttpResponse<String> response = stack.chat(node, demoKey, "demo", "hello");
    assertThat(JSON.readTree(response.body()).path("choices").get(0).path("message").path("content").asString())
        .contains("mock provider", "hello");
    assertThat(response.headers().firstValue("x-spillway-provider")).contains("mock");
  }

  @Test
  @Order(2)
  void makesAKeyCreatedThroughTheAdminApiWorkOnTheNodeWithinOneSecond() {
    String teamId = id(created(stack.admin("POST", "/api/v1/teams", "{\"name\":\"e2e-team\"}")));
    created(stack.admin("POST", "/api/v1/providers", "{\"name\":\"fake\",\"type\":\"openai-compatible\","
        + "\"base_url\":\"" + provider.baseUrl() + "\",\"keys\":[{\"name\":\"main\",\"value\":\"" + PROVIDER_SECRET
        + "\"}]}"));
    created(stack.admin("POST", "/api/v1/routes", "{\"model\":\"fake-chat\",\"targets\":[{\"provider\":\"fake\","
        + "\"model\":\"upstream-model\"}]}"));
    firstKey = created(stack.admin("POST", "/api/v1/virtual-keys", "{\"name\":\"first\",\"team_id\":\"" + teamId
        + "\"}")).path("key").asString();
    await().atMost(Duration.ofSeconds(5))
        .until(() -> stack.chat(node, firstKey, "fake-chat", "warm up").statusCode() == 200);

    JsonNode timed = created(stack.admin("POST", "/api/v1/virtual-keys", "{\"name\":\"timed\",\"team_id\":\""
        + teamId + "\"}"));
    long createdAt = System.nanoTime();
    timedKey = timed.path("key").asString();
    timedKeyId = id(timed);

    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10))
        .until(() -> stack.chat(node, timedKey, "fake-chat", "new key").statusCode() == 200);
    System.out.printf("key usable %.0f ms after the admin API answered%n", (System.nanoTime() - createdAt) / 1e6);
    assertThat(provider.lastRequest().header("authorization")).isEqualTo("Bearer " + PROVIDER_SECRET);
    assertThat(provider.lastRequest().json().path("model").asString()).isEqualTo("upstream-model");
  }

  @Test
  @Order(3)
  void refusesARevokedKeyWithin401WithinOneSecond() {
    assertThat(stack.admin("DELETE", "/api/v1/virtual-keys/" + timedKeyId, null).statusCode()).isEqualTo(204);
    long revokedAt = System.nanoTime();

    await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(10))
        .until(() -> stack.chat(node, timedKey, "fake-chat", "revoked?").statusCode() == 401);
    System.out.printf("key refused %.0f ms after the revoke answered%n", (System.nanoTime() - revokedAt) / 1e6);
    assertThat(stack.chat(node, firstKey, "fake-chat", "still fine").statusCode()).isEqualTo(200);
  }

  @Test
  @Order(4)
  void streamsTheFirstChunkToTheClientWhileTheProviderIsStillSending() throws Exception {
    CompletableFuture<Void> release = new CompletableFuture<>();
    provider.enqueue(FakeResponse.stream().chunkCount(3).holdAfter(1, release));
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.port()
            + "/v1/chat/completions"))
        .header("Authorization", "Bearer " + firstKey)
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"fake-chat\",\"stream\":true,\"messages\":"
            + "[{\"role\":\"user\",\"content\":\"stream please\"}]}"))
        .build();

    HttpResponse<InputStream> response = stack.http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      List<String> first = readDataLines(reader, 2);
      assertThat(release).as("the provider is still holding the rest of the stream").isNotDone();
      assertThat(first.get(1)).contains("c0 ");

      release.complete(null);
      List<String> rest = readDataLines(reader, 4);
      assertThat(rest).last().isEqualTo("data: [DONE]");
    }
  }

  @Test
  @Order(5)
  void showsTheNodeInSyncInTheFleetView() {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonNode nodes = JSON.readTree(stack.admin("GET", "/api/v1/nodes", null).body()).path("data");
      long current = JSON.readTree(stack.admin("GET", "/api/v1/snapshots/current", null).body()).path("version")
          .asLong();
      assertThat(nodes).anySatisfy(n -> {
        assertThat(n.path("id").asString()).isEqualTo("e2e-node");
        assertThat(n.path("applied_version").asLong()).isEqualTo(current);
        assertThat(n.path("status").asString()).isEqualTo("in_sync");
        // Only heartbeats carry these; polls do not.
        assertThat(n.path("last_heartbeat").isNull()).isFalse();
        assertThat(n.path("uptime_seconds").isIntegralNumber()).isTrue();
      });
    });
  }

  @Test
  @Order(100)
  void neverWritesASecretToALogLineOrAnErrorBody() {
    // Provoke the paths most likely to leak: wrong tokens, unknown keys, a rejected provider carrying a key value.
    stack.chat(node, "sk-sw-not-a-real-key-0000000000000000000", "fake-chat", "x");
    stack.send(HttpRequest.newBuilder(stack.controlPlaneUri().resolve("/api/v1/teams"))
        .header("Authorization", "Bearer " + stack.adminToken + "x").GET().build());
    stack.send(HttpRequest.newBuilder(stack.controlPlaneUri().resolve("/internal/v1/snapshots"))
        .header("Authorization", "Bearer " + stack.adminToken).GET().build());
    stack.admin("POST", "/api/v1/providers", "{\"name\":\"Bad Name\",\"type\":\"openai\",\"keys\":[{\"value\":\""
        + PROVIDER_SECRET + "\"}]}");
    stack.admin("POST", "/api/v1/providers", "{\"name\":\"bad-url\",\"type\":\"openai\",\"base_url\":\"ftp://x\","
        + "\"keys\":[{\"value\":\"" + PROVIDER_SECRET + "\"}]}");
    provider.enqueue(FakeResponse.error(401, "Incorrect API key provided"));
    stack.chat(node, firstKey, "fake-chat", "provider refuses");

    List<String> secrets = List.of(stack.adminToken, stack.nodeToken, stack.secretKey, PROVIDER_SECRET, demoKey,
        firstKey, timedKey);
    List<String> errorBodies = new ArrayList<>(stack.responseBodies.stream()
        .filter(b -> Integer.parseInt(b.substring(0, 3)) >= 400).toList());
    List<String> logs = CapturedLogs.lines();

    assertThat(logs).as("captured log lines").hasSizeGreaterThan(20);
    assertThat(errorBodies).as("error bodies").hasSizeGreaterThanOrEqualTo(5);
    for (String secret : secrets) {
      assertThat(logs).as("log lines").noneMatch(line -> line.contains(secret));
      assertThat(errorBodies).as("error bodies").noneMatch(body -> body.contains(secret));
    }
  }

  private static List<String> readDataLines(BufferedReader reader, int count) throws Exception {
    return CompletableFuture.supplyAsync(() -> {
      List<String> lines = new ArrayList<>();
      try {
        String line;
        while (lines.size() < count && (line = reader.readLine()) != null) {
          if (line.startsWith("data:")) {
            lines.add(line);
          }
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return lines;
    }).get(5, TimeUnit.SECONDS);
  }

  private static JsonNode created(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return JSON.readTree(response.body());
  }

  private static String id(JsonNode node) {
    return node.path("id").asString();
  }
}
