package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.CacheConfig;
import dev.spillway.config.CacheInvalidation;
import dev.spillway.config.CacheMode;
import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import dev.spillway.testsupport.TestDatabase;
import dev.spillway.testsupport.TestDatabases;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * The response cache through a node, against the real schema in PostgreSQL with pgvector and the real embedding
 * model: exact hits whatever the JSON's key order, semantic hits for same-meaning prompts and none for look-alikes,
 * never another team's answer, streams replayed as well-formed streams, errors never cached, the request's own
 * directives, an admin's invalidation, and a database that is down costing requests nothing but a miss.
 */
@ExtendWith(NoLeaksExtension.class)
class ResponseCacheIT {
  static final String TEAM_A = "00000000-0000-0000-0000-00000000000a";
  static final String TEAM_B = "00000000-0000-0000-0000-00000000000b";
  static final String TEAM_EXACT = "00000000-0000-0000-0000-00000000000c";
  static final String TEAM_SHADOW = "00000000-0000-0000-0000-00000000000d";
  static final String KEY_A = "sk-sw-cacheA000000000000000000000000000000000";
  static final String KEY_B = "sk-sw-cacheB000000000000000000000000000000000";
  static final String KEY_EXACT = "sk-sw-cacheE000000000000000000000000000000000";
  static final String KEY_SHADOW = "sk-sw-cacheS000000000000000000000000000000000";

  static TestDatabase db;
  static FakeProvider provider;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;
  static NodeClient a;
  static NodeClient b;
  static NodeClient exact;
  static NodeClient shadow;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabases.create("cache");
    Flyway.configure().dataSource(db.jdbcUrl(), db.user(), db.password()).locations("classpath:db/migration")
        .load().migrate();
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      for (String team : List.of(TEAM_A, TEAM_B, TEAM_EXACT, TEAM_SHADOW)) {
        st.execute("INSERT INTO teams (id, org_id, name) VALUES ('" + team
            + "', '00000000-0000-0000-0000-000000000001', 'team " + team.substring(team.length() - 1) + "')");
      }
    }
    provider = FakeProvider.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(snapshot(1).build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("cache-it"), Map.of(
        "SPILLWAY_DB_URL", db.jdbcUrl(), "SPILLWAY_DB_USER", db.user(), "SPILLWAY_DB_PASSWORD", db.password(),
        // Generous for a loaded test machine: what is tested here is what is served, not how fast.
        "SPILLWAY_DP_CACHE_BUDGET_MS", "5000"));
    TestNodes.awaitVersion(node, 1);
    await().atMost(Duration.ofSeconds(60)).until(() -> node.cache().semanticReady());
    a = new NodeClient(node, KEY_A);
    b = new NodeClient(node, KEY_B);
    exact = new NodeClient(node, KEY_EXACT);
    shadow = new NodeClient(node, KEY_SHADOW);
  }

  static Snapshots snapshot(long version) {
    return Snapshots.builder().version(version)
        .team(TEAM_A, new CacheConfig(CacheMode.SEMANTIC, 0.90, 3600))
        .team(TEAM_B, new CacheConfig(CacheMode.SEMANTIC, 0.90, 3600))
        .team(TEAM_EXACT, new CacheConfig(CacheMode.EXACT, null, 3600))
        .team(TEAM_SHADOW, new CacheConfig(CacheMode.OFF, 0.90, 3600, true))
        .key(TEAM_A, KEY_A)
        .key(TEAM_B, KEY_B)
        .key(TEAM_EXACT, KEY_EXACT)
        .key(TEAM_SHADOW, KEY_SHADOW)
        .provider("oai", ProviderType.OPENAI, provider.baseUrl(), "sk-openai-secret-000000")
        .route("gpt", "oai/gpt-4o")
        .price("oai", "gpt-4o", "2.5", "10", null);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (controlPlane != null) {
      controlPlane.close();
    }
    if (provider != null) {
      provider.close();
    }
  }

  @BeforeEach
  void reset() {
    provider.reset();
    provider.respondWith(FakeResponse.chat());
  }

  static String chat(String prompt) {
    return "{\"model\":\"gpt\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
        + "{\"role\":\"user\",\"content\":\"" + prompt + "\"}],\"temperature\":0}";
  }

  static String cacheHeader(HttpResponse<String> response) {
    return response.headers().firstValue("x-spillway-cache").orElse(null);
  }

  static String content(HttpResponse<String> response) {
    return NodeClient.body(response).path("choices").path(0).path("message").path("content").asString();
  }

  /** Stored answers reach the shared tier after the response: wait for the writer. */
  static void stored() {
    node.cache().flushWrites();
  }

  @Test
  void theSameRequestIsAnsweredFromTheCacheWhateverItsKeyOrderAndWhitespace() throws Exception {
    HttpResponse<String> first = exact.post("/v1/chat/completions", chat("What is the capital of Peru?"));
    stored();
    String reordered = "{ \"temperature\": 0.0,\n \"messages\": [{\"content\": \"Be brief.\", \"role\": \"system\"},"
        + " {\"content\": \"What is the capital of Peru?\", \"role\": \"user\"}], \"model\": \"gpt\" }";
    HttpResponse<String> second = exact.post("/v1/chat/completions", reordered);

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(cacheHeader(first)).isEqualTo("miss");
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(cacheHeader(second)).isEqualTo("hit-exact");
    assertThat(content(second)).isEqualTo(content(first));
    assertThat(second.headers().firstValue("x-spillway-attempts")).hasValue("0");
    assertThat(provider.requestCount()).isEqualTo(1);
  }

  @Test
  void aParameterThatChangesTheAnswerMisses() throws Exception {
    exact.post("/v1/chat/completions", chat("Name a colour."));
    stored();
    HttpResponse<String> warmer = exact.post("/v1/chat/completions", chat("Name a colour.")
        .replace("\"temperature\":0", "\"temperature\":0.7"));

    assertThat(cacheHeader(warmer)).isEqualTo("miss");
    assertThat(provider.requestCount()).isEqualTo(2);
  }

  @Test
  void theExactTierSurvivesTheNodesMemory() throws Exception {
    exact.post("/v1/chat/completions", chat("What is the boiling point of water?"));
    stored();
    try (Connection c = db.connect(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT count(*) FROM cache_entries WHERE team_id = '" + TEAM_EXACT
             + "' AND response_kind = 'openai-chat' AND provider = 'oai' AND served_model = 'gpt-4o'")) {
      rs.next();
      assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void samePromptsHitSemanticallyLookAlikesMissAndAnotherTeamNeverSeesThem() throws Exception {
    HttpResponse<String> stored = a.post("/v1/chat/completions", chat("How do I reset my password?"));
    stored();
    HttpResponse<String> forgot = a.post("/v1/chat/completions", chat("I forgot my password, help"));
    HttpResponse<String> pw = a.post("/v1/chat/completions", chat("What's the process to reset my pw?"));
    HttpResponse<String> router = a.post("/v1/chat/completions", chat("How do I reset my router?"));
    HttpResponse<String> negated = a.post("/v1/chat/completions", chat("How do I not reset my password?"));
    HttpResponse<String> otherTeam = b.post("/v1/chat/completions", chat("I forgot my password, help"));

    assertThat(cacheHeader(stored)).isEqualTo("miss");
    assertThat(cacheHeader(forgot)).isEqualTo("hit-semantic");
    assertThat(content(forgot)).isEqualTo(content(stored));
    assertThat(Double.parseDouble(forgot.headers().firstValue("x-spillway-cache-similarity").orElseThrow()))
        .isBetween(0.90, 1.0);
    assertThat(cacheHeader(pw)).isEqualTo("hit-semantic");
    assertThat(cacheHeader(router)).isEqualTo("miss");
    assertThat(content(router)).contains("router");
    assertThat(cacheHeader(negated)).isEqualTo("miss");
    assertThat(cacheHeader(otherTeam)).isEqualTo("miss");
    assertThat(content(otherTeam)).contains("forgot");
    // stored, router, negated and the other team's: four provider calls; the two hits made none.
    assertThat(provider.requestCount()).isEqualTo(4);
  }

  @Test
  void aDifferentSystemPromptIsAnotherContextEvenForTheSameQuestion() throws Exception {
    a.post("/v1/chat/completions", chat("What time zone is Lima in?"));
    stored();
    HttpResponse<String> other = a.post("/v1/chat/completions",
        chat("What time zone is Lima in?").replace("Be brief.", "Answer in French."));

    assertThat(cacheHeader(other)).isEqualTo("miss");
    assertThat(provider.requestCount()).isEqualTo(2);
  }

  @Test
  void aStreamedAnswerIsReplayedAsTheSameWellFormedStream() throws Exception {
    provider.respondWith(FakeResponse.stream().chunks(List.of("Tides", " come", " from", " the", " moon.")));
    String body = chat("Why are there tides?").replace("\"temperature\":0", "\"temperature\":0,\"stream\":true");

    HttpResponse<String> first = a.post("/v1/chat/completions", body);
    stored();
    HttpResponse<String> replayed = a.post("/v1/chat/completions", body);
    HttpResponse<String> complete = a.post("/v1/chat/completions", chat("Why are there tides?"));

    assertThat(cacheHeader(first)).isEqualTo("miss");
    assertThat(cacheHeader(replayed)).isEqualTo("hit-exact");
    assertThat(replayed.headers().firstValue("content-type").orElseThrow()).startsWith("text/event-stream");
    assertThat(streamedText(replayed.body())).isEqualTo(streamedText(first.body())).isEqualTo("Tides come from the moon.");
    List<NodeClient.Event> events = NodeClient.events(replayed.body());
    assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
    assertThat(events.stream().filter(e -> !e.data().equals("[DONE]"))
        .map(e -> e.json().path("object").asString()).collect(Collectors.toSet()))
        .containsExactly("chat.completion.chunk");
    assertThat(events.stream().filter(e -> !e.data().equals("[DONE]"))
        .anyMatch(e -> "stop".equals(e.json().path("choices").path(0).path("finish_reason").asString(null))))
        .isTrue();
    // The same request without "stream" is the same answer, complete.
    assertThat(cacheHeader(complete)).isEqualTo("hit-exact");
    assertThat(content(complete)).isEqualTo("Tides come from the moon.");
    assertThat(provider.requestCount()).isEqualTo(1);
  }

  @Test
  void anAnthropicClientIsServedInItsOwnShapes() throws Exception {
    String messages = "{\"model\":\"gpt\",\"max_tokens\":100,\"system\":\"Be brief.\",\"messages\":"
        + "[{\"role\":\"user\",\"content\":\"How far is the moon?\"}]%s}";
    HttpResponse<String> first = a.post("/v1/messages", messages.formatted(""), "anthropic-version", "2023-06-01");
    stored();
    HttpResponse<String> again = a.post("/v1/messages", messages.formatted(""), "anthropic-version", "2023-06-01");
    HttpResponse<String> streamed = a.post("/v1/messages", messages.formatted(",\"stream\":true"),
        "anthropic-version", "2023-06-01");

    assertThat(cacheHeader(first)).isEqualTo("miss");
    assertThat(cacheHeader(again)).isEqualTo("hit-exact");
    JsonNode body = NodeClient.body(again);
    assertThat(body.path("type").asString()).isEqualTo("message");
    assertThat(body.path("content").path(0).path("text").asString())
        .isEqualTo(NodeClient.body(first).path("content").path(0).path("text").asString());
    assertThat(cacheHeader(streamed)).isEqualTo("hit-exact");
    List<NodeClient.Event> events = NodeClient.events(streamed.body());
    assertThat(events.get(0).event()).isEqualTo("message_start");
    assertThat(events.get(events.size() - 1).event()).isEqualTo("message_stop");
    assertThat(provider.requestCount()).isEqualTo(1);
  }

  @Test
  void errorsAreNeverCached() throws Exception {
    provider.respondWith(FakeResponse.error(500, "boom"));
    HttpResponse<String> failed = exact.post("/v1/chat/completions", chat("Will this fail?"));
    stored();
    provider.respondWith(FakeResponse.chat());
    HttpResponse<String> next = exact.post("/v1/chat/completions", chat("Will this fail?"));

    assertThat(failed.statusCode()).isGreaterThanOrEqualTo(500);
    assertThat(next.statusCode()).isEqualTo(200);
    assertThat(cacheHeader(next)).isEqualTo("miss");
  }

  @Test
  void theRequestsDirectivesBypassRefreshAndAreChecked() throws Exception {
    exact.post("/v1/chat/completions", chat("Spell cat."));
    stored();
    HttpResponse<String> bypass = exact.post("/v1/chat/completions", chat("Spell cat."), "x-spillway-cache", "bypass");
    HttpResponse<String> refresh = exact.post("/v1/chat/completions", chat("Spell cat."), "x-spillway-cache",
        "refresh");
    HttpResponse<String> bad = exact.post("/v1/chat/completions", chat("Spell cat."), "x-spillway-cache-threshold",
        "1.5");

    assertThat(cacheHeader(bypass)).isEqualTo("bypass");
    assertThat(cacheHeader(refresh)).isEqualTo("miss");
    assertThat(provider.requestCount()).isEqualTo(3);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(NodeClient.error(bad).path("param").asString()).isEqualTo("x-spillway-cache-threshold");
  }

  @Test
  void shadowModeRecordsWouldBeHitsWithoutServingThem() throws Exception {
    shadow.post("/v1/chat/completions", chat("How can I change my email address?"));
    stored();
    HttpResponse<String> similar = shadow.post("/v1/chat/completions", chat("How do I change my email address?"));

    assertThat(cacheHeader(similar)).isEqualTo("miss");
    assertThat(Double.parseDouble(similar.headers().firstValue("x-spillway-cache-similarity").orElseThrow()))
        .isGreaterThan(0.9);
    assertThat(provider.requestCount()).isEqualTo(2);
    JsonNode event = await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.usageEvents().stream()
        .filter(e -> e.path("request_id").asString().equals(similar.headers().firstValue("x-request-id").orElseThrow()))
        .findFirst().orElse(null), java.util.Objects::nonNull);
    assertThat(event.path("cache_status").asString()).isEqualTo("shadow-hit");
    assertThat(event.path("cache_similarity").asDouble()).isGreaterThan(0.9);
  }

  @Test
  void aHitIsRecordedAsFreeWithWhatItSaved() throws Exception {
    provider.respondWith(FakeResponse.chat().usage(1000, 100));
    exact.post("/v1/chat/completions", chat("List three primes."));
    stored();
    HttpResponse<String> hit = exact.post("/v1/chat/completions", chat("List three primes."));

    String id = hit.headers().firstValue("x-request-id").orElseThrow();
    JsonNode event = await().atMost(Duration.ofSeconds(10)).until(() -> controlPlane.usageEvents().stream()
        .filter(e -> e.path("request_id").asString().equals(id)).findFirst().orElse(null),
        java.util.Objects::nonNull);
    assertThat(event.path("cache_status").asString()).isEqualTo("hit-exact");
    assertThat(new java.math.BigDecimal(event.path("cost_usd").asString())).isZero();
    assertThat(event.path("input_tokens").asLong()).isEqualTo(1000);
    // 1000 × $2.50 + 100 × $10.00 per million tokens
    assertThat(new java.math.BigDecimal(event.path("cache_saved_usd").asString())).isEqualByComparingTo("0.0035");
  }

  @Test
  void anInvalidatedTeamIsNotServedWhatItHadStored() throws Exception {
    exact.post("/v1/chat/completions", chat("What is 2 + 2?"));
    stored();
    assertThat(cacheHeader(exact.post("/v1/chat/completions", chat("What is 2 + 2?")))).isEqualTo("hit-exact");

    controlPlane.publish(snapshot(2).cacheInvalidation(
        new CacheInvalidation(CacheInvalidation.Scope.TEAM, TEAM_EXACT, Instant.now())).build());
    TestNodes.awaitVersion(node, 2);
    HttpResponse<String> after = exact.post("/v1/chat/completions", chat("What is 2 + 2?"));

    assertThat(cacheHeader(after)).isEqualTo("miss");
    assertThat(provider.requestCount()).isEqualTo(2);
    controlPlane.publish(snapshot(3).build());
    TestNodes.awaitVersion(node, 3);
  }

  @Test
  void aDatabaseThatIsDownCostsAMissNotTheRequest() throws Exception {
    Path state = Files.createTempDirectory("cache-it-down");
    try (dev.spillway.testsupport.ClosedPort closed = dev.spillway.testsupport.ClosedPort.reserve();
         SpillwayNode down = TestNodes.start(controlPlane.uri(), state, Map.of(
             "SPILLWAY_DB_URL", "jdbc:postgresql://127.0.0.1:" + closed.port() + "/nothing",
             "SPILLWAY_DB_USER", "nobody", "SPILLWAY_DB_PASSWORD", "nothing"))) {
      TestNodes.awaitVersion(down, 1);
      NodeClient client = new NodeClient(down, KEY_A);
      for (int i = 0; i < 5; i++) {
        HttpResponse<String> response = client.post("/v1/chat/completions", chat("Is the database up? " + i));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(cacheHeader(response)).isEqualTo("miss");
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> down.cache().databaseFailures() > 0);
    }
  }

  @Test
  void aDatabaseThatHangsCostsTheLookupBudgetNotTheRequest() throws Exception {
    Path state = Files.createTempDirectory("cache-it-slow");
    try (SpillwayNode slow = TestNodes.start(controlPlane.uri(), state, Map.of("SPILLWAY_DB_URL", db.jdbcUrl(),
             "SPILLWAY_DB_USER", db.user(), "SPILLWAY_DB_PASSWORD", db.password()));
         Connection locker = db.connect()) {
      TestNodes.awaitVersion(slow, 1);
      NodeClient client = new NodeClient(slow, KEY_EXACT);
      // Every lookup and write now waits on the lock (until its statement timeout): a database that hangs.
      locker.setAutoCommit(false);
      try (Statement st = locker.createStatement()) {
        st.execute("LOCK TABLE cache_entries IN ACCESS EXCLUSIVE MODE");
      }
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> response = client.post("/v1/chat/completions", chat("Is the database slow? " + i));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(cacheHeader(response)).isEqualTo("miss");
      }
      // Answered while the lock was still held: no request waited for the database, only for its 25 ms budget.
      assertThat(slow.cache().lookupTimeouts()).isEqualTo(3);
      // The metrics count what the requests were given, while their lookups still wait on the lock.
      assertThat(slow.cache().misses()).isEqualTo(3);
      locker.rollback();
    }
  }

  @Test
  void anAnswerStoredWhileTheModelLoadsStillGetsItsEmbedding() throws Exception {
    Path state = Files.createTempDirectory("cache-it-cold");
    try (SpillwayNode cold = TestNodes.start(controlPlane.uri(), state, Map.of("SPILLWAY_DB_URL", db.jdbcUrl(),
        "SPILLWAY_DB_USER", db.user(), "SPILLWAY_DB_PASSWORD", db.password()))) {
      TestNodes.awaitVersion(cold, 1);
      // The node's first semantic request: it starts loading the model and misses without waiting for it.
      HttpResponse<String> first = new NodeClient(cold, KEY_A).post("/v1/chat/completions",
          chat("How do I close my account?"));
      cold.cache().flushWrites();

      assertThat(cacheHeader(first)).isEqualTo("miss");
      try (Connection c = db.connect(); Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT embedding IS NOT NULL FROM cache_entries WHERE team_id = '"
               + TEAM_A + "' AND prompt_text = 'how do i close my account'")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getBoolean(1)).isTrue();
      }
    }
  }

  static String streamedText(String body) {
    StringBuilder text = new StringBuilder();
    for (NodeClient.Event event : NodeClient.events(body)) {
      if (!event.data().equals("[DONE]")) {
        text.append(event.json().path("choices").path(0).path("delta").path("content").asString(""));
      }
    }
    return text.toString();
  }
}
