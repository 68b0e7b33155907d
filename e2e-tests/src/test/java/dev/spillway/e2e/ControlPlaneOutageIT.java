package dev.spillway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.dataplane.SpillwayNode;
import dev.spillway.testsupport.NoLeaksExtension;
import java.net.URI;
import java.net.http.HttpRequest;
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
import tools.jackson.databind.json.JsonMapper;

/** Static stability: nodes serve without their control plane, restart from disk, and refuse a damaged disk copy. */
@ExtendWith(NoLeaksExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControlPlaneOutageIT {
  static final JsonMapper JSON = JsonMapper.builder().build();

  static Stack stack;
  static Path dir;
  static SpillwayNode node;
  static String key;
  static URI controlPlane;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("e2e-outage");
    stack = new Stack("e2e_outage").startControlPlane(Map.of());
    controlPlane = stack.controlPlaneUri();
    String teamId = JSON.readTree(stack.admin("POST", "/api/v1/teams", "{\"name\":\"outage\"}").body()).path("id")
        .asString();
    stack.admin("POST", "/api/v1/providers", "{\"name\":\"mock\",\"type\":\"mock\"}");
    stack.admin("POST", "/api/v1/routes", "{\"model\":\"demo\",\"targets\":[{\"provider\":\"mock\",\"model\":\"m\"}]}");
    key = stack.createKey(teamId);
    node = stack.startNode(dir.resolve("node"), controlPlane);
    await().atMost(Duration.ofSeconds(5)).until(() -> stack.chat(node, key, "demo", "hi").statusCode() == 200);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    stack.close();
  }

  @Test
  @Order(1)
  void keepsServingWhenTheControlPlaneStops() {
    stack.stopControlPlane();

    for (int i = 0; i < 50; i++) {
      assertThat(stack.chat(node, key, "demo", "still there " + i).statusCode()).isEqualTo(200);
    }
    assertThat(readyz(node).statusCode()).isEqualTo(200);
  }

  @Test
  @Order(2)
  void restartsFromItsDiskSnapshotWhileTheControlPlaneIsDown() {
    long version = node.config().current().version();
    node.close();

    node = stack.startNode(dir.resolve("node"), controlPlane);

    assertThat(node.config().current()).isNotNull();
    assertThat(node.config().current().version()).isEqualTo(version);
    assertThat(readyz(node).statusCode()).isEqualTo(200);
    assertThat(stack.chat(node, key, "demo", "from disk").statusCode()).isEqualTo(200);
  }

  @Test
  @Order(3)
  void refusesADamagedDiskSnapshotAndSaysNotReady() throws Exception {
    node.close();
    Path file = dir.resolve("node").resolve("snapshot.bin");
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x42;
    Files.write(file, bytes);

    node = stack.startNode(dir.resolve("node"), controlPlane);

    HttpResponse<String> ready = readyz(node);
    assertThat(ready.statusCode()).isEqualTo(503);
    assertThat(ready.body()).contains("not_ready", "disk snapshot refused");
    assertThat(stack.chat(node, key, "demo", "no config").statusCode()).isEqualTo(503);
  }

  private static HttpResponse<String> readyz(SpillwayNode n) {
    return stack.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.port() + "/readyz")).GET().build());
  }
}
