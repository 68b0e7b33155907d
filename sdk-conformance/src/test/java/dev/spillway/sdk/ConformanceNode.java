package dev.spillway.sdk;

import static org.awaitility.Awaitility.await;

import dev.spillway.config.SnapshotConfig;
import dev.spillway.dataplane.NodeSettings;
import dev.spillway.dataplane.SpillwayNode;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.Snapshots;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * One data-plane node for SDK tests, following a fake control plane that publishes the given snapshot (build it
 * with {@link Snapshots}, whose provider keys are sealed for {@link Snapshots#NODE_TOKEN}). Ready when
 * {@code /readyz} says so. Point an SDK at {@link #openAiBaseUrl()} or {@link #baseUrl()}.
 */
final class ConformanceNode implements AutoCloseable {
  private final FakeControlPlane controlPlane;
  private final SpillwayNode node;

  private ConformanceNode(FakeControlPlane controlPlane, SpillwayNode node) {
    this.controlPlane = controlPlane;
    this.node = node;
  }

  static ConformanceNode start(SnapshotConfig snapshot) {
    FakeControlPlane controlPlane = FakeControlPlane.start();
    controlPlane.publish(snapshot);
    Path state;
    try {
      state = Files.createTempDirectory("sdk-conformance");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> env = Map.of(
        "SPILLWAY_CP_URL", controlPlane.uri().toString(),
        "SPILLWAY_NODE_TOKEN", Snapshots.NODE_TOKEN,
        "SPILLWAY_DP_THREADS", "2",
        "SPILLWAY_DP_WARMUP_SECONDS", "0",
        "SPILLWAY_DP_HOST", "127.0.0.1",
        "SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS", "true",
        "SPILLWAY_NODE_ID", "sdk-" + state.getFileName());
    SpillwayNode node = SpillwayNode.start(NodeSettings.from(env,
        new String[] {"--port", "0", "--state-dir", state.toString()}));
    ConformanceNode started = new ConformanceNode(controlPlane, node);
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest ready = HttpRequest.newBuilder(URI.create(started.baseUrl() + "/readyz")).GET().build();
    await().atMost(Duration.ofSeconds(10)).until(() ->
        http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    return started;
  }

  /** The fake control plane the node follows: what it granted, the usage events it received. */
  FakeControlPlane controlPlane() {
    return controlPlane;
  }

  /** {@code http://127.0.0.1:<port>}, what the Anthropic SDK takes as its base URL. */
  String baseUrl() {
    return "http://127.0.0.1:" + node.port();
  }

  /** {@code http://127.0.0.1:<port>/v1}, what the OpenAI SDK takes as its base URL. */
  String openAiBaseUrl() {
    return baseUrl() + "/v1";
  }

  /** Answers the node has stored in its cache. */
  long cacheWrites() {
    return node.cache().writes();
  }

  /** Forgets what the node learned about its targets (cooldowns, breakers), so that no case inherits them. */
  void forgetTargetHealth() {
    node.routingHealth().clear();
  }

  @Override
  public void close() {
    node.close();
    controlPlane.close();
  }
}
