package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** How a node follows its control plane, survives without it, and refuses bad snapshots. */
@ExtendWith(NoLeaksExtension.class)
class SnapshotFollowingIT {
  static final String KEY_V1 = "sk-sw-version1000000000000000000000000000000";
  static final String KEY_V2 = "sk-sw-version2000000000000000000000000000000";
  /** Nothing listens here: a control plane that is down. */
  static final URI DOWN = URI.create("http://127.0.0.1:1");

  final HttpClient http = HttpClient.newHttpClient();

  static Snapshots base(long version) {
    return Snapshots.builder().version(version).team("t1").key("t1", KEY_V1)
        .provider("mock", ProviderType.MOCK, null).route("demo", "mock/m");
  }

  @Test
  void isNotReadyUntilItHasASnapshot(@TempDir Path state) throws Exception {
    try (FakeControlPlane cp = FakeControlPlane.start(); SpillwayNode node = TestNodes.start(cp.uri(), state, Map.of())) {
      HttpResponse<String> ready = get(node, "/readyz");
      HttpResponse<String> chat = chat(node, KEY_V1);

      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("\"code\":\"not_ready\"");
      assertThat(chat.statusCode()).isEqualTo(503);

      cp.publish(base(1).build());
      TestNodes.awaitVersion(node, 1);
      assertThat(get(node, "/readyz").statusCode()).isEqualTo(200);
      assertThat(chat(node, KEY_V1).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void appliesANewerSnapshotWithinASecondAndReportsItself(@TempDir Path state) throws Exception {
    try (FakeControlPlane cp = FakeControlPlane.start()) {
      cp.publish(base(1).build());
      try (SpillwayNode node = TestNodes.start(cp.uri(), state, Map.of())) {
        TestNodes.awaitVersion(node, 1);
        assertThat(chat(node, KEY_V2).statusCode()).isEqualTo(401);

        cp.publish(base(2).key("t1", KEY_V2).build());

        await().atMost(Duration.ofSeconds(1)).until(() -> chat(node, KEY_V2).statusCode() == 200);
        await().atMost(Duration.ofSeconds(3)).until(() -> cp.polls().stream()
            .anyMatch(p -> "2".equals(p.get("spillway-node-applied-version"))));
        Map<String, String> poll = cp.polls().get(cp.polls().size() - 1);
        assertThat(poll.get("spillway-node-id")).isEqualTo("test-node-" + state.getFileName());
        assertThat(poll.get("spillway-node-applied-hash")).matches("[0-9a-f]{64}");
        assertThat(poll.get("spillway-node-address")).contains(Integer.toString(node.port()));
      }
    }
  }

  @Test
  void refusesADamagedSnapshotKeepsServingAndReportsTheError(@TempDir Path state) throws Exception {
    try (FakeControlPlane cp = FakeControlPlane.start()) {
      cp.publish(base(1).build());
      try (SpillwayNode node = TestNodes.start(cp.uri(), state, Map.of())) {
        TestNodes.awaitVersion(node, 1);

        cp.publishCorrupted(base(2).key("t1", KEY_V2).build());

        await().atMost(Duration.ofSeconds(3)).until(() -> node.config().lastError() != null);
        assertThat(node.config().lastError()).contains("version 2 refused");
        assertThat(node.config().current().version()).isEqualTo(1);
        assertThat(chat(node, KEY_V1).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> cp.polls().stream()
            .anyMatch(p -> p.getOrDefault("spillway-node-last-error", "").contains("refused")));

        cp.publish(base(3).key("t1", KEY_V2).build());
        TestNodes.awaitVersion(node, 3);
        assertThat(node.config().lastError()).isNull();
      }
    }
  }

  @Test
  void keepsServingWhenTheControlPlaneGoesAway(@TempDir Path state) throws Exception {
    FakeControlPlane cp = FakeControlPlane.start();
    cp.publish(base(1).build());
    try (SpillwayNode node = TestNodes.start(cp.uri(), state, Map.of())) {
      TestNodes.awaitVersion(node, 1);

      cp.close();

      for (int i = 0; i < 20; i++) {
        assertThat(chat(node, KEY_V1).statusCode()).isEqualTo(200);
      }
      assertThat(get(node, "/readyz").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void bootsFromItsDiskSnapshotWhileTheControlPlaneIsDown(@TempDir Path state) throws Exception {
    try (FakeControlPlane cp = FakeControlPlane.start()) {
      cp.publish(base(4).key("t1", KEY_V2).build());
      try (SpillwayNode first = TestNodes.start(cp.uri(), state, Map.of())) {
        TestNodes.awaitVersion(first, 4);
        await().atMost(Duration.ofSeconds(2)).until(() -> Files.exists(state.resolve("snapshot.bin")));
      }
    }

    try (SpillwayNode restarted = TestNodes.start(DOWN, state, Map.of())) {
      assertThat(restarted.config().current().version()).isEqualTo(4);
      assertThat(get(restarted, "/readyz").statusCode()).isEqualTo(200);
      assertThat(chat(restarted, KEY_V2).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void refusesACorruptedDiskSnapshotAndStaysNotReady(@TempDir Path state) throws Exception {
    try (FakeControlPlane cp = FakeControlPlane.start()) {
      cp.publish(base(5).build());
      try (SpillwayNode first = TestNodes.start(cp.uri(), state, Map.of())) {
        TestNodes.awaitVersion(first, 5);
        await().atMost(Duration.ofSeconds(2)).until(() -> Files.exists(state.resolve("snapshot.bin")));
      }
    }
    Path file = state.resolve("snapshot.bin");
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length - 10] ^= 0x33;
    Files.write(file, bytes);

    try (SpillwayNode restarted = TestNodes.start(DOWN, state, Map.of())) {
      HttpResponse<String> ready = get(restarted, "/readyz");

      assertThat(restarted.config().current()).isNull();
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("disk snapshot refused");
      assertThat(chat(restarted, KEY_V1).statusCode()).isEqualTo(503);
    }
  }

  private HttpResponse<String> get(SpillwayNode node, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(TestNodes.uri(node, path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> chat(SpillwayNode node, String key) throws Exception {
    return http.send(HttpRequest.newBuilder(TestNodes.uri(node, "/v1/chat/completions"))
        .header("Authorization", "Bearer " + key)
        .POST(HttpRequest.BodyPublishers.ofString(ChatCompletionsIT.chat("demo", "hi"))).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
