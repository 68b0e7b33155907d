package dev.spillway.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.dataplane.SpillwayNode;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The cache across the real stack (issue 12): a team's semantic cache configured through the admin API, an answer
 * stored by one node and served by another from the shared tier in PostgreSQL, the savings in the control plane's
 * cache stats (what the dashboard's Cache page shows), and an admin's invalidation reaching every node's memory.
 */
class CacheAcrossNodesIT {
  static final JsonMapper JSON = JsonMapper.builder().build();

  static Stack stack;
  static FakeProvider provider;
  static String teamId;
  static String key;
  static List<SpillwayNode> nodes = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createTempDirectory("e2e-cache");
    provider = FakeProvider.start();
    provider.respondWith(FakeResponse.chat().usage(1000, 200));
    stack = new Stack("e2e_cache").startControlPlane(java.util.Map.of());
    teamId = JSON.readTree(stack.admin("POST", "/api/v1/teams",
        "{\"name\":\"support\",\"cache\":{\"mode\":\"semantic\",\"threshold\":0.90,\"ttl_seconds\":3600}}").body())
        .path("id").asString();
    stack.openAiAssistantRoute(provider.baseUrl(), true);
    key = stack.createKey(teamId);
    for (String name : List.of("a", "b")) {
      java.util.Map<String, String> env = new java.util.HashMap<>(stack.databaseEnv());
      // Generous for a loaded test machine: what is tested here is what is served, not how fast.
      env.put("SPILLWAY_DP_CACHE_BUDGET_MS", "5000");
      nodes.add(stack.startNode(dir.resolve(name), stack.controlPlaneUri(), env));
    }
    stack.awaitCurrentSnapshot(nodes);
    await().atMost(Duration.ofSeconds(60)).until(() -> nodes.stream().allMatch(n -> n.cache().semanticReady()));
  }

  @AfterAll
  static void stop() {
    nodes.forEach(SpillwayNode::close);
    stack.close();
    provider.close();
  }

  static String cache(HttpResponse<String> response) {
    return response.headers().firstValue("x-spillway-cache").orElse(null);
  }

  @Test
  void oneNodeStoresAnotherServesTheStatsShowTheSavingsAndAnInvalidationReachesEveryNode() throws Exception {
    SpillwayNode a = nodes.get(0);
    SpillwayNode b = nodes.get(1);
    HttpResponse<String> stored = stack.chat(a, key, "assistant", "How do I reset my password?");
    a.cache().flushWrites();
    HttpResponse<String> semantic = stack.chat(b, key, "assistant", "I forgot my password, help");
    HttpResponse<String> exact = stack.chat(b, key, "assistant", "How do I reset my password?");

    assertThat(cache(stored)).isEqualTo("miss");
    assertThat(cache(semantic)).isEqualTo("hit-semantic");
    assertThat(cache(exact)).isEqualTo("hit-exact");
    assertThat(provider.requestCount()).isEqualTo(1);

    // Two hits of 1,000 input and 200 output tokens at $2.50 and $10 per million: $0.0045 each. The miss was recorded
    // by node a and the hits by node b; each node ships its own usage, so wait for both.
    JsonNode stats = await().atMost(Duration.ofSeconds(20)).until(() -> team(JSON.readTree(
        stack.admin("GET", "/api/v1/cache/stats?team_id=" + teamId, null).body())),
        t -> t.path("lookups").asLong() >= 3 && t.path("hits_exact").asLong() + t.path("hits_semantic").asLong() >= 2);
    assertThat(stats.path("hits_semantic").asLong()).isEqualTo(1);
    assertThat(stats.path("lookups").asLong()).isEqualTo(3);
    assertThat(stats.path("saved_usd").decimalValue()).isEqualByComparingTo(new BigDecimal("0.009"));
    assertThat(stats.path("saved_input_tokens").asLong()).isEqualTo(2000);

    HttpResponse<String> invalidated = stack.admin("POST", "/api/v1/cache/invalidations",
        "{\"scope\":\"team\",\"id\":\"" + teamId + "\"}");
    assertThat(invalidated.statusCode()).as(invalidated.body()).isEqualTo(200);
    assertThat(JSON.readTree(invalidated.body()).path("deleted").asLong()).isEqualTo(1);
    stack.awaitCurrentSnapshot(nodes);
    // Node b holds the entry in memory since its exact hit: the snapshot tells it to forget it.
    HttpResponse<String> afterwards = stack.chat(b, key, "assistant", "How do I reset my password?");
    assertThat(cache(afterwards)).isEqualTo("miss");
    assertThat(provider.requestCount()).isEqualTo(2);
  }

  private static JsonNode team(JsonNode stats) {
    for (JsonNode team : stats.path("data")) {
      if (team.path("team_id").asString().equals(teamId)) {
        return team;
      }
    }
    return JSON.createObjectNode();
  }
}
