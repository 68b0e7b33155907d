package dev.spillway.controlplane.node;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.web.util.UriUtils;
import tools.jackson.databind.json.JsonMapper;

/**
 * One node, one row: a node's snapshot poll (its identity in form-encoded headers, as the data plane sends them)
 * and its heartbeat (plain JSON) name the same node, and that node can be read and deleted by its id. Ids that
 * cannot be a path segment are not listed at all.
 */
class NodeIdentityIT extends ControlPlaneIntegrationTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @ParameterizedTest
  @ValueSource(strings = {":28000", " with spaces:8000", "-nœud-ü:8000", "+plus@host=a&b:8000",
      "-[fd00::1]:8000", "?query#fragment:8000"})
  void aNodeThatPollsAndSendsHeartbeatsIsListedOnceAndCanBeDeleted(String suffix) {
    String id = unique("vm") + suffix;

    assertStatus(pollSnapshot(0, "Spillway-Node-Id", formEncoded(id), "Spillway-Node-Address",
        formEncoded("10.0.0.9:28000")), 200);
    assertStatus(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json",
        JSON.writeValueAsString(Map.of("node_id", id, "address", "10.0.0.9:28000", "uptime_seconds", 60))), 200);

    assertThat(listedIds()).containsOnlyOnce(id).doesNotContain(formEncoded(id));
    var node = assertStatus(admin().get(nodePath(id)), 200);
    assertThat(node.get("id").stringValue()).isEqualTo(id);
    assertThat(node.get("address").stringValue()).isEqualTo("10.0.0.9:28000");
    assertThat(node.get("uptime_seconds").asLong()).isEqualTo(60);

    assertStatus(admin().delete(nodePath(id)), 204);

    assertThat(listedIds()).doesNotContain(id);
    assertApiError(admin().get(nodePath(id)), 404, null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/eu-west/1", "-100%", "-semi;colon", "-back\\slash", "-line\nbreak"})
  void anIdThatCannotBeAPathSegmentIsRefusedByTheHeartbeatAndNotListedFromAPoll(String suffix) {
    String id = unique("vm") + suffix;

    assertApiError(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json",
        JSON.writeValueAsString(Map.of("node_id", id))), 400, "node_id");
    // The node still gets its config; it is only not listed.
    assertStatus(pollSnapshot(0, "Spillway-Node-Id", formEncoded(id)), 200);

    assertThat(listedIds()).doesNotContain(id, formEncoded(id));
  }

  /** What the data plane's poller sends: {@code application/x-www-form-urlencoded} values. */
  private static String formEncoded(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private static String nodePath(String id) {
    return "/api/v1/nodes/" + UriUtils.encodePathSegment(id, StandardCharsets.UTF_8);
  }

  private List<String> listedIds() {
    return assertStatus(admin().get("/api/v1/nodes"), 200).get("data").valueStream()
        .map(n -> n.get("id").stringValue()).toList();
  }
}
