package dev.spillway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.dataplane.SpillwayNode;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * Request logs end to end (issue 13): 10,000 requests through two nodes — answers, provider errors, streams and
 * clients that leave mid-stream — become exactly 10,000 {@code request_logs} rows, each matching its usage event.
 */
class RequestLogsAcrossNodesIT {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final int CHATS = 6_400;
  static final int STREAMS = 2_000;
  static final int ERRORS = 1_500;
  static final int DISCONNECTS = 100;

  static Stack stack;
  static List<FakeProvider> providers = new ArrayList<>();
  static List<SpillwayNode> nodes = new ArrayList<>();
  static String key;

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createTempDirectory("e2e-request-logs");
    FakeProvider chat = FakeProvider.start().respondWith(FakeResponse.chat().usage(30, 7));
    FakeProvider stream = FakeProvider.start().respondWith(FakeResponse.stream().usage(20, 3));
    FakeProvider refusing = FakeProvider.start().respondWith(FakeResponse.error(400, "bad request, says the provider"));
    FakeProvider slow = FakeProvider.start().respondWith(FakeResponse.stream().chunkCount(50)
        .pauseBetweenChunks(Duration.ofMillis(20)));
    providers.addAll(List.of(chat, stream, refusing, slow));
    stack = new Stack("e2e_request_logs").startControlPlane(Map.of());
    String teamId = JSON.readTree(stack.admin("POST", "/api/v1/teams", "{\"name\":\"logs\"}").body()).path("id")
        .asString();
    String[] names = {"chat", "stream", "refusing", "slow"};
    for (int i = 0; i < names.length; i++) {
      assertThat(stack.admin("POST", "/api/v1/providers", "{\"name\":\"" + names[i] + "\",\"type\":\"openai\","
          + "\"base_url\":\"" + providers.get(i).baseUrl() + "\",\"keys\":[{\"name\":\"k\",\"value\":\"sk-"
          + names[i] + "-0000000000000\"}]}").statusCode()).isEqualTo(201);
      assertThat(stack.admin("POST", "/api/v1/routes", "{\"model\":\"" + names[i] + "\",\"targets\":[{\"provider\":\""
          + names[i] + "\",\"model\":\"m\"}]}").statusCode()).isEqualTo(201);
    }
    key = stack.createKey(teamId);
    for (String name : List.of("a", "b")) {
      nodes.add(stack.startNode(dir.resolve(name), stack.controlPlaneUri(), stack.databaseEnv()));
    }
    stack.awaitCurrentSnapshot(nodes);
  }

  @AfterAll
  static void stop() {
    nodes.forEach(SpillwayNode::close);
    stack.close();
    providers.forEach(FakeProvider::close);
  }

  @Test
  void tenThousandRequestsAreTenThousandLogRecordsEachMatchingItsUsageEvent() throws Exception {
    String prefix = "rl-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
    ExecutorService clients = Executors.newFixedThreadPool(16);
    List<Future<?>> sent = new ArrayList<>();
    int total = CHATS + STREAMS + ERRORS + DISCONNECTS;
    for (int i = 0; i < total; i++) {
      SpillwayNode node = nodes.get(i % 2);
      String requestId = prefix + i;
      String route = i < CHATS ? "chat" : i < CHATS + STREAMS ? "stream" : i < CHATS + STREAMS + ERRORS
          ? "refusing" : "slow";
      sent.add(clients.submit(() -> {
        if (route.equals("slow")) {
          leaveMidStream(node, requestId);
          return null;
        }
        String body = "{\"model\":\"" + route + "\",\"stream\":" + route.equals("stream")
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"request " + requestId + "\"}]}";
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + node.port() + "/v1/chat/completions"))
            .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
            .header("x-request-id", requestId).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
        statuses.merge(response.statusCode(), 1, Integer::sum);
        return null;
      }));
    }
    for (Future<?> f : sent) {
      f.get();
    }
    clients.shutdown();
    assertThat(statuses).containsEntry(200, CHATS + STREAMS).containsEntry(400, ERRORS);

    await().atMost(Duration.ofSeconds(60)).until(() -> count("request_logs", prefix) == total
        && count("usage_events", prefix) == total);
    try (Connection c = stack.db.connect(); PreparedStatement s = c.prepareStatement("""
        SELECT count(*),
               count(*) FILTER (WHERE l.status_code = 499 AND l.client_closed),
               count(*) FILTER (WHERE l.streamed),
               count(*) FILTER (WHERE jsonb_array_length(l.attempts) = 1)
        FROM request_logs l JOIN usage_events u ON u.occurred_at = l.occurred_at AND u.request_id = l.request_id
        WHERE l.request_id LIKE ? AND l.status_code = u.status_code AND l.input_tokens = u.input_tokens
          AND l.output_tokens = u.output_tokens AND l.cost_usd = u.cost_usd AND l.key_id = u.key_id
          AND l.route = u.route AND l.latency_ms = u.latency_ms""")) {
      s.setString(1, prefix + "%");
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        assertThat(rs.getLong(1)).as("log records matching their usage event").isEqualTo(total);
        assertThat(rs.getLong(2)).as("clients that left mid-stream").isEqualTo(DISCONNECTS);
        assertThat(rs.getLong(3)).as("streams").isEqualTo(STREAMS + DISCONNECTS);
        assertThat(rs.getLong(4)).as("one attempt each").isEqualTo(total);
      }
    }
    // Exactly one: a second look finds no more rows than requests.
    assertThat(count("request_logs", prefix)).isEqualTo(total);
  }

  /** A streaming client that reads the head and a first chunk, then closes its socket. */
  static void leaveMidStream(SpillwayNode node, String requestId) throws Exception {
    String body = "{\"model\":\"slow\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    try (Socket socket = new Socket("127.0.0.1", node.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key
          + "\r\nContent-Type: application/json\r\nx-request-id: " + requestId + "\r\nContent-Length: "
          + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = socket.getInputStream();
      String seen = "";
      byte[] buffer = new byte[4096];
      while (!seen.contains("data:")) {
        int n = in.read(buffer);
        if (n < 0) {
          throw new AssertionError("stream ended before its first chunk: " + seen);
        }
        seen += new String(buffer, 0, n, StandardCharsets.UTF_8);
      }
    }
  }

  static long count(String table, String prefix) throws Exception {
    try (Connection c = stack.db.connect();
        PreparedStatement s = c.prepareStatement("SELECT count(*) FROM " + table + " WHERE request_id LIKE ?")) {
      s.setString(1, prefix + "%");
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
