package dev.spillway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.dataplane.SpillwayNode;
import dev.spillway.dataplane.config.NodeConfig;
import dev.spillway.testsupport.NoLeaksExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.json.JsonMapper;

/**
 * The propagation acceptance test: 100 committed changes, 3 nodes, and for each change the time from its commit
 * (the admin API's answer) until every node serves that version; p99 must stay under a second. Meanwhile a steady
 * load of chat requests (two client threads, each pausing 2 ms between requests) runs through all three nodes on
 * the built-in mock provider, and not one of them may fail while the snapshots swap under it.
 */
@ExtendWith(NoLeaksExtension.class)
class PropagationIT {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final int CHANGES = 100;
  static final int NODES = 3;
  static final int LOAD_THREADS = 2;
  static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  static Stack stack;
  static List<SpillwayNode> nodes = new ArrayList<>();
  static String loadKey;
  static String churnTeam;

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createTempDirectory("e2e-propagation");
    stack = new Stack("e2e_propagation").startControlPlane(Map.of());
    String loadTeam = id(stack.admin("POST", "/api/v1/teams", "{\"name\":\"load\"}"));
    churnTeam = id(stack.admin("POST", "/api/v1/teams", "{\"name\":\"churn\"}"));
    stack.admin("POST", "/api/v1/providers", "{\"name\":\"mock\",\"type\":\"mock\"}");
    stack.admin("POST", "/api/v1/routes", "{\"model\":\"demo\",\"targets\":[{\"provider\":\"mock\",\"model\":\"m\"}]}");
    loadKey = JSON.readTree(stack.admin("POST", "/api/v1/virtual-keys", "{\"name\":\"load\",\"team_id\":\""
        + loadTeam + "\"}").body()).path("key").asString();
    for (int i = 0; i < NODES; i++) {
      nodes.add(stack.startNode(dir.resolve("node-" + i), stack.controlPlaneUri()));
    }
    for (SpillwayNode node : nodes) {
      await().atMost(Duration.ofSeconds(10)).until(() -> stack.chat(node, loadKey, "demo", "warm").statusCode() == 200);
    }
  }

  @AfterAll
  static void stop() {
    nodes.forEach(SpillwayNode::close);
    stack.close();
  }

  @Test
  void everyNodeServesEachChangeWithinASecondAtP99WithoutFailingARequest() throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong ok = new AtomicLong();
    Map<String, Long> failures = new ConcurrentHashMap<>();
    ExecutorService load = Executors.newFixedThreadPool(LOAD_THREADS);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    for (int t = 0; t < LOAD_THREADS; t++) {
      int thread = t;
      load.submit(() -> {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        for (int i = 0; running.get() && System.nanoTime() < deadline; i++) {
          SpillwayNode node = nodes.get((thread + i) % NODES);
          try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + node.port() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + loadKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                    "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"load " + i + "\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
              ok.incrementAndGet();
            } else {
              failures.merge(response.statusCode() + " " + response.body(), 1L, Long::sum);
            }
          } catch (Exception e) {
            failures.merge(e.toString(), 1L, Long::sum);
          }
          // A steady load, not a saturating one: on two cores a saturated CPU would measure the scheduler.
          LockSupport.parkNanos(PAUSE_NANOS);
        }
        return null;
      });
    }

    int warmUp = 10;
    long[] millis = new long[CHANGES];
    try (Connection db = stack.db.connect()) {
      // The first changes also warm up the JIT on every path (build, encode, poll, decode, compile); they are not
      // counted, so the numbers describe a running system rather than a cold start.
      for (int i = -warmUp; i < CHANGES; i++) {
        HttpResponse<String> response = Math.floorMod(i, 2) == 0
            ? stack.admin("POST", "/api/v1/virtual-keys", "{\"name\":\"churn-" + i + "\",\"team_id\":\"" + churnTeam
                + "\"}")
            : stack.admin("PATCH", "/api/v1/teams/" + churnTeam, "{\"rate_limit\":{\"rpm\":" + (1000 + i) + "}}");
        long committedAt = System.nanoTime();
        assertThat(response.statusCode()).as(response.body()).isBetween(200, 201);
        long version = committedVersion(db);
        long deadline = committedAt + TimeUnit.SECONDS.toNanos(10);
        while (!allServe(version)) {
          assertThat(System.nanoTime()).as("change %d (version %d) did not reach every node", i, version)
              .isLessThan(deadline);
          LockSupport.parkNanos(100_000);
        }
        if (i >= 0) {
          millis[i] = (System.nanoTime() - committedAt) / 1_000_000;
        }
      }
    } finally {
      running.set(false);
      load.shutdown();
      assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }

    long[] sorted = millis.clone();
    Arrays.sort(sorted);
    long p50 = sorted[CHANGES / 2];
    long p99 = sorted[(int) Math.ceil(CHANGES * 0.99) - 1];
    System.out.println("propagation per change (ms): " + Arrays.toString(millis));
    System.out.printf("propagation over %d changes to %d nodes: p50 %d ms, p99 %d ms, max %d ms; "
        + "%d requests served during the swaps, %d failed%n", CHANGES, NODES, p50, p99, sorted[CHANGES - 1],
        ok.get(), failures.values().stream().mapToLong(Long::longValue).sum());
    assertThat(failures).as("failed requests while snapshots swapped").isEmpty();
    assertThat(ok.get()).isPositive();
    assertThat(p99).isLessThan(1000);
  }

  private static boolean allServe(long version) {
    for (SpillwayNode node : nodes) {
      NodeConfig config = node.config().current();
      if (config == null || config.version() < version) {
        return false;
      }
    }
    return true;
  }

  private static long committedVersion(Connection db) throws Exception {
    try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("SELECT version FROM config_version")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String id(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return JSON.readTree(response.body()).path("id").asString();
  }
}
