package dev.spillway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.dataplane.SpillwayNode;
import dev.spillway.testsupport.NoLeaksExtension;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The usage pipeline end to end: two nodes serve concurrent requests, each request becomes exactly one usage event in
 * PostgreSQL (compared by request id), the hourly rollups and {@code GET /api/v1/usage} add up to the tokens the
 * provider reported and their cost at the configured price — also for requests served while the control plane
 * was stopped, which the nodes spool and send when it is back.
 */
@ExtendWith(NoLeaksExtension.class)
class UsagePipelineIT {
  static final JsonMapper JSON = JsonMapper.builder().build();

  static Stack stack;
  static Path dir;
  static String key;
  static String keyId;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("e2e-usage");
    stack = new Stack("e2e_usage").startControlPlane(Map.of());
    String teamId = JSON.readTree(stack.admin("POST", "/api/v1/teams", "{\"name\":\"usage\"}").body()).path("id")
        .asString();
    stack.admin("POST", "/api/v1/providers", "{\"name\":\"mock\",\"type\":\"mock\"}");
    stack.admin("POST", "/api/v1/routes", "{\"model\":\"demo\",\"targets\":[{\"provider\":\"mock\",\"model\":\"m\"}]}");
    assertThat(stack.admin("PUT", "/api/v1/prices/mock/m",
        "{\"input_per_mtok_usd\":2,\"output_per_mtok_usd\":8}").statusCode()).isEqualTo(200);
    JsonNode created = JSON.readTree(stack.admin("POST", "/api/v1/virtual-keys",
        "{\"name\":\"usage-key\",\"team_id\":\"" + teamId + "\"}").body());
    key = created.path("key").asString();
    keyId = created.path("id").asString();
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void everyRequestServedIsOneUsageEventAndTheRollupsAddUp() throws Exception {
    SpillwayNode a = stack.startNode(dir.resolve("a"), stack.controlPlaneUri());
    SpillwayNode b = stack.startNode(dir.resolve("b"), stack.controlPlaneUri());
    try {
      long version = JSON.readTree(stack.admin("GET", "/api/v1/snapshots/current", null).body()).path("version")
          .asLong();
      await().atMost(Duration.ofSeconds(10)).until(() -> a.config().current() != null
          && a.config().current().version() >= version && b.config().current() != null
          && b.config().current().version() >= version);
      Map<String, long[]> served = new ConcurrentHashMap<>();
      ExecutorService clients = Executors.newFixedThreadPool(8);
      try {
        List<Future<?>> futures = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
          SpillwayNode node = i % 2 == 0 ? a : b;
          String text = "request number " + i + " " + "word ".repeat(i % 7);
          futures.add(clients.submit(() -> {
            HttpResponse<String> response = stack.chat(node, key, "demo", text);
            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode usage = JSON.readTree(response.body()).path("usage");
            served.put(response.headers().firstValue("x-request-id").orElseThrow(),
                new long[] {usage.path("prompt_tokens").asLong(), usage.path("completion_tokens").asLong()});
          }));
        }
        for (Future<?> f : futures) {
          f.get();
        }
      } finally {
        clients.shutdown();
      }

      await().atMost(Duration.ofSeconds(20)).until(() -> recordedIds().containsAll(served.keySet()));
      assertThat(recordedIds()).hasSameSizeAs(served.keySet());
      long input = 0;
      long output = 0;
      for (long[] tokens : served.values()) {
        input += tokens[0];
        output += tokens[1];
      }
      try (Connection c = stack.db.connect(); ResultSet rs = c.createStatement().executeQuery(
          "SELECT sum(input_tokens), sum(output_tokens), sum(cost_usd), count(*) FROM usage_events"
              + " WHERE request_id IN (" + String.join(",", served.keySet().stream().map(id -> "'" + id + "'")
              .toList()) + ")")) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(input);
        assertThat(rs.getLong(2)).isEqualTo(output);
        BigDecimal expected = BigDecimal.valueOf(input * 2 + output * 8).movePointLeft(6);
        assertThat(rs.getBigDecimal(3)).isEqualByComparingTo(expected);
        assertThat(rs.getLong(4)).isEqualTo(200);
      }
      JsonNode totals = JSON.readTree(stack.admin("GET", "/api/v1/usage?key_id=" + keyId, null).body())
          .path("totals");
      assertThat(totals.path("requests").asLong()).isEqualTo(served.size());
      try (Connection c = stack.db.connect(); ResultSet rs = c.createStatement().executeQuery(
          "SELECT (SELECT sum(cost_usd) FROM usage_events) = (SELECT sum(cost_usd) FROM usage_hourly),"
              + " (SELECT count(*) FROM usage_events) = (SELECT sum(requests) FROM usage_hourly)")) {
        rs.next();
        assertThat(rs.getBoolean(1)).as("rollup spend equals event spend").isTrue();
        assertThat(rs.getBoolean(2)).as("rollup requests equal events").isTrue();
      }
    } finally {
      a.close();
      b.close();
    }
  }

  static Set<String> recordedIds() throws Exception {
    Set<String> ids = new HashSet<>();
    try (Connection c = stack.db.connect();
        ResultSet rs = c.createStatement().executeQuery("SELECT request_id FROM usage_events")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    return ids;
  }
}
