package dev.spillway.dataplane;

import static org.awaitility.Awaitility.await;

import dev.spillway.testsupport.Snapshots;
import java.net.URI;
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
    env.put("SPILLWAY_DP_HOST", "127.0.0.1");
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
}
