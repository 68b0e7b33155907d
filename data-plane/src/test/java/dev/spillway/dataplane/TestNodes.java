package dev.spillway.dataplane;

import static org.awaitility.Awaitility.await;

import dev.spillway.testsupport.Snapshots;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Starts in-process nodes for tests: random port, two event loops, a given control plane and state dir. */
final class TestNodes {
  private TestNodes() {}

  static SpillwayNode start(URI controlPlane, Path stateDir, Map<String, String> extraEnv) {
    Map<String, String> env = new HashMap<>();
    env.put("SPILLWAY_CP_URL", controlPlane.toString());
    env.put("SPILLWAY_NODE_TOKEN", Snapshots.NODE_TOKEN);
    env.put("SPILLWAY_DP_THREADS", "2");
    // Test nodes start cold: the warm-up (docs/benchmarks.md) is for nodes that take real traffic.
    env.put("SPILLWAY_DP_WARMUP_SECONDS", "0");
    env.put("SPILLWAY_DP_HOST", "127.0.0.1");
    // Fake providers listen on loopback; the production default (false) would refuse them.
    env.put("SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS", "true");
    env.put("SPILLWAY_NODE_ID", "test-node-" + stateDir.getFileName());
    env.putAll(extraEnv);
    return SpillwayNode.start(NodeSettings.from(env, new String[] {"--port", "0", "--state-dir", stateDir.toString()}));
  }

  static void awaitVersion(SpillwayNode node, long version) {
    await().atMost(Duration.ofSeconds(5)).until(() -> node.config().current() != null
        && node.config().current().version() >= version);
  }

  static URI uri(SpillwayNode node, String path) {
    return URI.create("http://127.0.0.1:" + node.port() + path);
  }

  /** On the node's admin port, where {@code /metrics} is served. */
  static URI adminUri(SpillwayNode node, String path) {
    return URI.create("http://127.0.0.1:" + node.adminPort() + path);
  }

  /**
   * A client that hangs up mid-answer: POSTs {@code body} to {@code /v1/chat/completions} over a plain socket,
   * reads the answer line by line until a line containing {@code marker}, then closes the connection. Returns that
   * line, or null when the answer ended first.
   */
  static String readUntilThenHangUp(SpillwayNode node, String key, String body, String marker, String... headers)
      throws IOException {
    StringBuilder extra = new StringBuilder();
    for (int i = 0; i < headers.length; i += 2) {
      extra.append("\r\n").append(headers[i]).append(": ").append(headers[i + 1]);
    }
    try (Socket socket = new Socket("127.0.0.1", node.port())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + extra
          + "\r\nContent-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
          + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
      out.flush();
      BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(),
          StandardCharsets.UTF_8));
      String line;
      while ((line = reader.readLine()) != null && !line.contains(marker)) {
        // the head and the events before the marker
      }
      return line;
    }
  }
}
