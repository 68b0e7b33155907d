package dev.spillway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.dataplane.SpillwayNode;
import dev.spillway.testsupport.NoLeaksExtension;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
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
 * Two control-plane replicas on one database, each followed by its own node. A change made through either replica
 * reaches the node polling the other within a second (PostgreSQL LISTEN/NOTIFY, not the once-a-second check). Both
 * replicas start from the same {@code SPILLWAY_CONFIG_FILE}: the first applies it, the second finds nothing to do.
 */
@ExtendWith(NoLeaksExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiReplicaIT {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final String KEY_VARIABLE = "SPILLWAY_SECRET_E2E_REPLICA_APP_KEY";
  static final String APP_KEY = "sk-sw-e2eReplicaApp" + Long.toHexString(System.nanoTime()) + "0123456789abcdefABCDEF";

  static Stack stack;
  static URI replicaA;
  static URI replicaB;
  static SpillwayNode nodeOfA;
  static SpillwayNode nodeOfB;
  static String teamId;

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createTempDirectory("e2e-replicas");
    Path config = dir.resolve("spillway.yaml");
    Files.writeString(config, """
        teams:
          - name: replicated
        providers:
          - name: mock
            type: mock
        routes:
          - model: demo
            targets: [{provider: mock, model: mock-1}]
        virtual_keys:
          - name: app
            team: replicated
            key: ${%s}
        """.formatted(KEY_VARIABLE));
    System.setProperty(KEY_VARIABLE, APP_KEY);
    stack = new Stack("e2e_replicas").startControlPlane(Map.of("spillway.config-file", config.toString()));
    replicaA = stack.controlPlaneUri();
    long versionAfterA = committedVersion();
    replicaB = stack.startReplica(Map.of("spillway.config-file", config.toString()));
    assertThat(committedVersion()).as("the second replica applies the same file as a no-op")
        .isEqualTo(versionAfterA);
    nodeOfA = stack.startNode(dir.resolve("node-a"), replicaA);
    nodeOfB = stack.startNode(dir.resolve("node-b"), replicaB);
    teamId = JSON.readTree(stack.adminAt(replicaA, "GET", "/api/v1/teams", null).body()).path("data").get(0)
        .path("id").asString();
  }

  @AfterAll
  static void stop() {
    nodeOfA.close();
    nodeOfB.close();
    stack.close();
    System.clearProperty(KEY_VARIABLE);
  }

  @Test
  @Order(1)
  void bothNodesServeTheConfigFileAppliedAtStart() {
    await().atMost(Duration.ofSeconds(10)).until(() -> stack.chat(nodeOfA, APP_KEY, "demo", "hi").statusCode() == 200
        && stack.chat(nodeOfB, APP_KEY, "demo", "hi").statusCode() == 200);
  }

  @Test
  @Order(2)
  void aKeyCreatedOnReplicaAWorksOnTheNodeOfReplicaBWithinOneSecond() {
    long millis = createKeyAndTimeUntilServed(replicaA, nodeOfB);
    System.out.printf("replica A -> node of replica B: %d ms%n", millis);
    assertThat(millis).isLessThan(1000);
  }

  @Test
  @Order(3)
  void aKeyCreatedOnReplicaBWorksOnTheNodeOfReplicaAWithinOneSecond() {
    long millis = createKeyAndTimeUntilServed(replicaB, nodeOfA);
    System.out.printf("replica B -> node of replica A: %d ms%n", millis);
    assertThat(millis).isLessThan(1000);
  }

  @Test
  @Order(4)
  void bothReplicasServeTheSameBytesForTheSameVersion() {
    await().atMost(Duration.ofSeconds(5)).until(() -> version(replicaA) == version(replicaB));
    JsonNode a = JSON.readTree(stack.adminAt(replicaA, "GET", "/api/v1/snapshots/current", null).body());
    JsonNode b = JSON.readTree(stack.adminAt(replicaB, "GET", "/api/v1/snapshots/current", null).body());
    assertThat(a.path("hash").asString()).isEqualTo(b.path("hash").asString());
  }

  private static long createKeyAndTimeUntilServed(URI replica, SpillwayNode node) {
    HttpResponse<String> created = stack.adminAt(replica, "POST", "/api/v1/virtual-keys", """
        {"name": "k-%d", "team_id": "%s"}""".formatted(System.nanoTime(), teamId));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    long start = System.nanoTime();
    String key = JSON.readTree(created.body()).path("key").asString();
    await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(5))
        .until(() -> stack.chat(node, key, "demo", "new key").statusCode() == 200);
    return (System.nanoTime() - start) / 1_000_000;
  }

  static long committedVersion() throws java.sql.SQLException {
    try (var connection = stack.db.connect(); var statement = connection.createStatement();
        var rs = statement.executeQuery("SELECT version FROM config_version")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static long version(URI replica) {
    return JSON.readTree(stack.adminAt(replica, "GET", "/api/v1/snapshots/current", null).body()).path("version")
        .asLong();
  }
}
