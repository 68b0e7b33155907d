package dev.spillway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.dataplane.SpillwayNode;
import java.io.IOException;
import java.net.ServerSocket;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * No usage is lost and none is counted twice under the faults issue 10 names: PostgreSQL unavailable for 30 s under
 * load (the nodes keep serving within their leases and spool their usage), and a node killed with SIGKILL in the
 * middle of a load and started again on the same state directory (it ships what its previous run spooled). Each time
 * the usage recorded afterwards is compared, request id by request id, with the requests served.
 */
class UsageUnderFaultsIT {
  static final JsonMapper JSON = JsonMapper.builder().build();

  static Stack stack;
  static Path dir;
  static String key;
  static String budgetedKey;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("e2e-usage-faults");
    stack = new Stack("e2e_usage_faults").startControlPlane(Map.of("spillway.usage-lock-timeout", "2s"));
    String teamId = JSON.readTree(stack.admin("POST", "/api/v1/teams", "{\"name\":\"faults\"}").body()).path("id")
        .asString();
    stack.admin("POST", "/api/v1/providers", "{\"name\":\"mock\",\"type\":\"mock\"}");
    stack.admin("POST", "/api/v1/routes", "{\"model\":\"demo\",\"targets\":[{\"provider\":\"mock\",\"model\":\"m\"}]}");
    stack.admin("PUT", "/api/v1/prices/mock/m", "{\"input_per_mtok_usd\":1,\"output_per_mtok_usd\":1}");
    key = JSON.readTree(stack.admin("POST", "/api/v1/virtual-keys", "{\"name\":\"plain\",\"team_id\":\"" + teamId
        + "\"}").body()).path("key").asString();
    budgetedKey = JSON.readTree(stack.admin("POST", "/api/v1/virtual-keys", "{\"name\":\"budgeted\",\"team_id\":\""
        + teamId + "\",\"budget\":{\"limit_usd\":1000,\"period\":\"monthly\"},\"rate_limit\":{\"rpm\":1000000}}")
        .body()).path("key").asString();
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  static Set<String> recorded() throws Exception {
    Set<String> ids = new HashSet<>();
    try (Connection c = stack.db.connect();
        ResultSet rs = c.createStatement().executeQuery("SELECT request_id FROM usage_events")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    return ids;
  }

  static long events() throws Exception {
    try (Connection c = stack.db.connect();
        ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM usage_events")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Makes the control plane's database refuse connections and drops the ones it has: PostgreSQL is "down". */
  static void databaseDown(boolean down) throws Exception {
    String name = stack.db.name();
    // Through the maintenance database: the test database itself refuses connections while "down".
    String url = stack.db.jdbcUrl().replaceFirst("/[^/?]+(\\?|$)", "/postgres$1");
    java.util.Properties props = new java.util.Properties();
    props.setProperty("user", stack.db.user());
    props.setProperty("password", stack.db.password());
    try (Connection c = java.sql.DriverManager.getConnection(url, props); Statement s = c.createStatement()) {
      s.execute("ALTER DATABASE " + name + " ALLOW_CONNECTIONS " + (down ? "false" : "true"));
      if (down) {
        s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name
            + "' AND pid <> pg_backend_pid()");
      }
    }
  }

  /** Sends requests on several threads until {@code stop}, collecting the ids of those served. */
  static List<Thread> load(URI node, String key, Set<String> served, AtomicInteger failed, AtomicBoolean stop) {
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread thread = new Thread(() -> {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
        while (!stop.get()) {
          try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(node.resolve("/v1/chat/completions"))
                .timeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"demo\",\"max_tokens\":50,\"messages\":"
                    + "[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
              served.add(response.headers().firstValue("x-request-id").orElseThrow());
            } else {
              failed.incrementAndGet();
            }
          } catch (IOException e) {
            failed.incrementAndGet(); // the node is gone (killed)
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      thread.start();
      threads.add(thread);
    }
    return threads;
  }

  @Test
  void postgresDownFor30SecondsUnderLoadLosesNoUsageAndCountsNoneTwice() throws Exception {
    SpillwayNode node = stack.startNode(dir.resolve("pg"), stack.controlPlaneUri());
    try {
      URI uri = URI.create("http://127.0.0.1:" + node.port());
      await().atMost(Duration.ofSeconds(10)).until(() -> node.config().current() != null);
      Set<String> plain = ConcurrentHashMap.newKeySet();
      Set<String> budgeted = ConcurrentHashMap.newKeySet();
      AtomicInteger plainFailed = new AtomicInteger();
      AtomicInteger budgetedFailed = new AtomicInteger();
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> threads = new ArrayList<>(load(uri, key, plain, plainFailed, stop));
      threads.addAll(load(uri, budgetedKey, budgeted, budgetedFailed, stop));
      await().atMost(Duration.ofSeconds(10)).until(() -> plain.size() > 50 && budgeted.size() > 50);

      databaseDown(true);
      int plainBefore = plain.size();
      Instant back = Instant.now().plusSeconds(30);
      await().atMost(Duration.ofSeconds(40)).until(() -> Instant.now().isAfter(back));
      int plainDuring = plain.size() - plainBefore;
      databaseDown(false);
      int budgetedAtRecovery = budgeted.size();
      await().atMost(Duration.ofSeconds(30)).until(() -> budgeted.size() > budgetedAtRecovery + 10);
      stop.set(true);
      for (Thread t : threads) {
        t.join();
      }

      System.out.printf("PostgreSQL down 30 s: %d served without limits during it, %d budgeted served, %d budgeted "
          + "refused in all, %d plain failures%n", plainDuring, budgeted.size(), budgetedFailed.get(), plainFailed.get());
      // A key without limits is served throughout; the budgeted one within its lease, then as its mode says.
      assertThat(plainDuring).as("requests served while PostgreSQL was down").isGreaterThan(100);
      assertThat(plainFailed.get()).isZero();
      Set<String> served = new HashSet<>(plain);
      served.addAll(budgeted);
      await().atMost(Duration.ofSeconds(60)).until(() -> recorded().containsAll(served));
      await().atMost(Duration.ofSeconds(10)).until(() -> node.usageJournal().spooledBytes() == 0);
      // Refused requests are recorded too; every event is one request, none twice.
      assertThat(events()).isEqualTo(served.size() + budgetedFailed.get());
    } finally {
      databaseDown(false);
      node.close();
    }
  }

  @Test
  void aNodeKilledMidLoadShipsWhatItSpooledWhenItStartsAgain() throws Exception {
    Path state = dir.resolve("killed");
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    long before = events();
    Set<String> served = ConcurrentHashMap.newKeySet();
    AtomicInteger failed = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    Process node = startNodeProcess(state, port);
    Process again = null;
    try {
      URI uri = URI.create("http://127.0.0.1:" + port);
      HttpClient http = HttpClient.newHttpClient();
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        try {
          return http.send(HttpRequest.newBuilder(uri.resolve("/readyz")).build(),
              HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
          return false;
        }
      });
      List<Thread> threads = load(uri, key, served, failed, stop);
      await().atMost(Duration.ofSeconds(20)).until(() -> served.size() > 300);
      node.destroyForcibly().waitFor(); // SIGKILL
      stop.set(true);
      for (Thread t : threads) {
        t.join();
      }

      again = startNodeProcess(state, port);
      await().atMost(Duration.ofSeconds(60)).until(() -> recorded().containsAll(served));
      // Nothing twice: what was recorded beyond the requests served is only what the killed node answered as
      // the kill arrived (recorded before its response went out, which the client never saw complete).
      long extra = events() - before - served.size();
      System.out.printf("SIGKILL mid-load: %d served, all recorded after the restart, %d recorded beyond them%n",
          served.size(), extra);
      assertThat(extra).isBetween(0L, 4L);
    } finally {
      stop.set(true);
      node.destroyForcibly();
      if (again != null) {
        again.destroy();
        again.waitFor();
      }
    }
  }

  static Process startNodeProcess(Path state, int port) throws IOException {
    Path repo = Path.of("").toAbsolutePath();
    while (!Files.exists(repo.resolve("data-plane/node.jvm.options"))) {
      repo = repo.getParent();
    }
    Path jar;
    try (var jars = Files.list(repo.resolve("data-plane/target"))) {
      jar = jars.filter(p -> p.getFileName().toString().endsWith("-node.jar")).findFirst().orElseThrow();
    }
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-jar", jar.toString(), "--port", Integer.toString(port), "--state-dir", state.toString());
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(name -> name.startsWith("SPILLWAY_"));
    env.put("SPILLWAY_CP_URL", stack.controlPlaneUri().toString());
    env.put("SPILLWAY_NODE_TOKEN", stack.nodeToken);
    env.put("SPILLWAY_DP_HOST", "127.0.0.1");
    env.put("SPILLWAY_DP_WARMUP_SECONDS", "0");
    // Not port + 1000, which nobody checked is free.
    env.put("SPILLWAY_DP_ADMIN_PORT", "0");
    env.put("SPILLWAY_NODE_ID", "e2e-killed");
    builder.redirectErrorStream(true).redirectOutput(state.getParent().resolve("killed-node.log").toFile());
    return builder.start();
  }
}
