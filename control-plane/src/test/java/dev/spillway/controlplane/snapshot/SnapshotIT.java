package dev.spillway.controlplane.snapshot;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderKeyConfig;
import dev.spillway.config.RouteConfig;
import dev.spillway.config.SealedSecret;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.config.TeamConfig;
import dev.spillway.config.VirtualKeyConfig;
import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The config version and the snapshots nodes pull: every committed write publishes a newer snapshot, a refused
 * write changes nothing, and {@code /internal/v1/snapshots} answers at once, after a change, or with 304.
 */
class SnapshotIT extends ControlPlaneIntegrationTest {
  private final SnapshotCodec codec = new SnapshotCodec();

  @Test
  void currentSnapshotHasVersionHashAndCreationTime() {
    long version = awaitSnapshotCaughtUp();

    JsonNode current = assertStatus(admin().get("/api/v1/snapshots/current"), 200);

    assertThat(current.get("version").asLong()).isEqualTo(version).isPositive();
    assertThat(current.get("hash").stringValue()).matches("[0-9a-f]{64}");
    assertThat(Instant.parse(current.get("created_at").stringValue())).isBefore(Instant.now().plusSeconds(1));
  }

  @Test
  void everySuccessfulWritePublishesANewerSnapshot() {
    String provider = unique("bump-provider");
    String model = unique("bump-route");

    String teamId = bumps(() -> admin().post("/api/v1/teams", """
        {"name": "%s"}""".formatted(unique("bump-team"))), 201).get("id").stringValue();
    bumps(() -> admin().patch("/api/v1/teams/" + teamId, """
        {"rate_limit": {"rpm": 10}}"""), 200);
    String providerId = bumps(() -> admin().post("/api/v1/providers", """
        {"name": "%s", "type": "mock"}""".formatted(provider)), 201).get("id").stringValue();
    bumps(() -> admin().patch("/api/v1/providers/" + providerId, """
        {"settings": {"latency_ms": "5"}}"""), 200);
    String routeId = bumps(() -> admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "m"}]}""".formatted(model, provider)), 201)
        .get("id").stringValue();
    bumps(() -> admin().patch("/api/v1/routes/" + routeId, """
        {"retry": {"max_attempts": 2}}"""), 200);
    String keyId = bumps(() -> admin().post("/api/v1/virtual-keys", """
        {"name": "k", "team_id": "%s"}""".formatted(teamId)), 201).get("id").stringValue();
    bumps(() -> admin().patch("/api/v1/virtual-keys/" + keyId, """
        {"models": ["%s"]}""".formatted(model)), 200);
    String rotatedId = bumps(() -> admin().post("/api/v1/virtual-keys/" + keyId + "/rotate", "{}"), 201)
        .get("id").stringValue();
    bumps(() -> admin().delete("/api/v1/virtual-keys/" + rotatedId), 204);
    bumps(() -> admin().delete("/api/v1/routes/" + routeId), 204);
    bumps(() -> admin().delete("/api/v1/providers/" + providerId), 204);
    bumps(() -> admin().delete("/api/v1/teams/" + teamId), 204);
  }

  @Test
  void aRefusedWriteDoesNotChangeTheConfigVersion() {
    String teamName = unique("refused");
    String teamId = createTeam(teamName).get("id").stringValue();
    createKey(teamId, "blocks-delete");
    String provider = unique("refused-provider");
    createMockProvider(provider);
    createRoute(unique("refused-route"), provider);
    String providerId = assertStatus(admin().get("/api/v1/providers"), 200).get("data").valueStream()
        .filter(p -> p.get("name").stringValue().equals(provider)).findFirst().orElseThrow().get("id").stringValue();
    long version = configVersion();
    long audits = auditEventCount();

    assertApiError(admin().post("/api/v1/teams", "{\"name\": \"%s\"}".formatted(teamName)), 409, "name");
    assertApiError(admin().post("/api/v1/teams", "{\"name\": \"x\", \"budget\": {\"limit_usd\": -1}}"), 400,
        "budget.limit_usd");
    assertApiError(admin().post("/api/v1/teams", "{\"name\": "), 400, null);
    assertApiError(admin().patch("/api/v1/teams/" + teamId, "{\"rate_limit\": {\"rpm\": 0}}"), 400,
        "rate_limit.rpm");
    assertApiError(admin().delete("/api/v1/teams/" + teamId), 409, "id");
    assertApiError(admin().delete("/api/v1/providers/" + providerId), 409, "id");
    assertApiError(admin().post("/api/v1/providers", "{\"name\": \"%s\", \"type\": \"mock\"}".formatted(provider)),
        409, "name");
    assertApiError(admin().post("/api/v1/routes", """
        {"model": "r", "targets": [{"provider": "ghost", "model": "m"}]}"""), 400, "targets[0].provider");
    assertApiError(admin().post("/api/v1/virtual-keys", "{\"name\": \"k\", \"team_id\": \"%s\"}"
        .formatted(UUID.randomUUID())), 400, "team_id");
    assertApiError(admin().patch("/api/v1/teams/" + UUID.randomUUID(), "{}"), 404, null);
    assertApiError(anonymous().post("/api/v1/teams", "{\"name\": \"%s\"}".formatted(unique("anon"))), 401, null);

    assertThat(configVersion()).isEqualTo(version);
    assertThat(auditEventCount()).isEqualTo(audits);
  }

  @Test
  void aPollFromVersionZeroGetsTheWholeCurrentConfig() throws IOException {
    String providerKey = "sk-provider-" + UUID.randomUUID();
    String teamName = unique("snap-team");
    String providerName = unique("snap-provider");
    String model = unique("snap-route");
    String teamId = createTeam(teamName).get("id").stringValue();
    String providerId = createProvider(providerName, providerKey).get("id").stringValue();
    String routeId = createRoute(model, providerName).get("id").stringValue();
    JsonNode key = createKey(teamId, "snap-key");
    JsonNode revoked = createKey(teamId, "snap-revoked");
    assertStatus(admin().delete("/api/v1/virtual-keys/" + revoked.get("id").stringValue()), 204);
    long version = awaitSnapshotCaughtUp();

    ApiResponse poll = pollSnapshot(0);

    assertStatus(poll, 200);
    assertThat(poll.header("Content-Type")).isEqualTo("application/gzip");
    assertThat(poll.header("Spillway-Snapshot-Version")).isEqualTo(Long.toString(version));
    String sha = poll.header("Spillway-Snapshot-Sha256");
    assertThat(sha).matches("[0-9a-f]{64}");
    SnapshotConfig snapshot = codec.decode(poll.body(), sha);
    assertThat(snapshot.version()).isEqualTo(version);

    assertThat(snapshot.teams()).extracting(TeamConfig::id, TeamConfig::name).contains(
        tuple(teamId, teamName));
    assertThat(snapshot.virtualKeys())
        .extracting(VirtualKeyConfig::id, VirtualKeyConfig::keyHash, VirtualKeyConfig::teamId)
        .contains(tuple(key.get("id").stringValue(),
            sha256Hex(key.get("key").stringValue()), teamId));
    assertThat(snapshot.virtualKeys()).extracting(VirtualKeyConfig::id)
        .doesNotContain(revoked.get("id").stringValue());
    RouteConfig route = snapshot.routes().stream().filter(r -> r.id().equals(routeId)).findFirst().orElseThrow();
    assertThat(route.model()).isEqualTo(model);
    assertThat(route.targets()).singleElement().satisfies(t -> assertThat(t.provider()).isEqualTo(providerName));

    ProviderConfig provider = snapshot.providers().stream().filter(p -> p.id().equals(providerId)).findFirst()
        .orElseThrow();
    ProviderKeyConfig sealed = provider.keys().get(0);
    assertThat(sealed.sealedValue()).doesNotContain(providerKey);
    assertThat(SealedSecret.forNodes(NODE_TOKEN).open(sealed.sealedValue(), "provider:" + providerId + ":key:primary"))
        .isEqualTo(providerKey);
    String raw = new String(new GZIPInputStream(new ByteArrayInputStream(poll.body())).readAllBytes(),
        StandardCharsets.UTF_8);
    assertThat(raw).contains(teamName).doesNotContain(providerKey).doesNotContain(key.get("key").stringValue());
  }

  @Test
  void aParkedPollIsAnsweredPromptlyAfterAWrite() {
    long known = awaitSnapshotCaughtUp();
    String nodeId = unique("parked-node");

    CompletableFuture<ApiResponse> poll = node().getAsync("/internal/v1/snapshots?known_version=" + known,
        "Spillway-Node-Id", nodeId);
    // The node is recorded as the poll arrives, just before it is parked.
    eventually().until(() -> nodeRows(nodeId) == 1);
    assertThat(poll).isNotDone();

    createTeam(unique("wakes-the-poll"));

    eventually().atMost(Duration.ofSeconds(1)).until(poll::isDone);
    ApiResponse answer = poll.join();
    assertStatus(answer, 200);
    assertThat(Long.parseLong(answer.header("Spillway-Snapshot-Version"))).isGreaterThan(known);
    assertThat(codec.decode(answer.body(), answer.header("Spillway-Snapshot-Sha256")).version())
        .isGreaterThan(known);
  }

  @Test
  void aPollThatIsNotBehindIsAnswered304AfterTheLongPollTimeout() {
    long known = awaitSnapshotCaughtUp();
    long started = System.nanoTime();

    CompletableFuture<ApiResponse> current = node().getAsync("/internal/v1/snapshots?known_version=" + known);
    CompletableFuture<ApiResponse> ahead = node().getAsync("/internal/v1/snapshots?known_version=" + (known + 1000));
    List<ApiResponse> answers = List.of(current.join(), ahead.join());

    Duration waited = Duration.ofNanos(System.nanoTime() - started);
    assertThat(answers).allSatisfy(answer -> {
      assertThat(answer.status()).as(answer::describe).isEqualTo(304);
      assertThat(answer.body()).isEmpty();
    });
    assertThat(waited).isGreaterThanOrEqualTo(LONG_POLL_TIMEOUT.minusMillis(200))
        .isLessThan(LONG_POLL_TIMEOUT.plusSeconds(3));
  }

  @Test
  void refusesAMalformedKnownVersion() {
    assertApiError(node().get("/internal/v1/snapshots?known_version=latest"), 400, "known_version");
  }

  /** Asserts that the write succeeds and that a newer snapshot is served afterwards; returns the answer's body. */
  private JsonNode bumps(Supplier<ApiResponse> write, int expectedStatus) {
    long before = awaitSnapshotCaughtUp();
    ApiResponse response = write.get();
    JsonNode body = assertStatus(response, expectedStatus);
    assertThat(configVersion()).as(response::describe).isGreaterThan(before);
    eventually().until(() -> publishedVersion() > before);
    return body;
  }

  private long nodeRows(String nodeId) {
    return jdbc.sql("SELECT count(*) FROM data_plane_nodes WHERE node_id = ?").param(nodeId).query(Long.class)
        .single();
  }

  @Test
  void carriesRoutingRulesStrategyStickinessRetryBreakersAndKeyMetadataAndPassesTheValidator() {
    String providerName = unique("resilient");
    assertStatus(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "mock", "breaker": {"consecutive_failures": 2, "open_ms": 750}}"""
        .formatted(providerName)), 201);
    String model = unique("resilient-route");
    String routeId = assertStatus(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "m"}], "strategy": "least_busy", "sticky": false,
         "retry": {"max_attempts": 3, "initial_backoff_ms": 50, "max_backoff_ms": 400, "deadline_ms": 9000}}"""
        .formatted(model, providerName)), 201).get("id").stringValue();
    String teamId = createTeam(unique("resilient-team")).get("id").stringValue();
    String keyId = assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "labelled", "team_id": "%s", "metadata": {"tier": "gold"}}""".formatted(teamId)), 201)
        .get("id").stringValue();
    String legacyKeyId = createKey(teamId, "legacy-labels").get("id").stringValue();
    jdbc.sql("UPDATE virtual_keys SET metadata = '{\"cost_center\": 42, \"gone\": null}'::jsonb WHERE id = ?::uuid")
        .param(legacyKeyId).update();
    String ruleName = unique("gold-to-resilient");
    String ruleId = assertStatus(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "priority": 7, "route": "%s",
         "match": {"team_id": "%s", "key_metadata": {"tier": "gold"}, "headers": {"X-Env": "prod"}, "model": "gpt-*"}}"""
        .formatted(ruleName, model, teamId)), 201).get("id").stringValue();
    // The legacy metadata was written behind the API's back; a config change makes the next snapshot read it.
    assertStatus(admin().patch("/api/v1/virtual-keys/" + legacyKeyId, "{\"models\": []}"), 200);
    long version = awaitSnapshotCaughtUp();

    ApiResponse poll = pollSnapshot(0);
    SnapshotConfig snapshot = codec.decode(poll.body(), poll.header("Spillway-Snapshot-Sha256"));

    assertThat(snapshot.version()).isEqualTo(version);
    assertThat(dev.spillway.config.SnapshotValidator.problems(snapshot)).isEmpty();
    RouteConfig route = snapshot.routes().stream().filter(r -> r.id().equals(routeId)).findFirst().orElseThrow();
    assertThat(route.strategy()).isEqualTo(dev.spillway.config.RoutingStrategy.LEAST_BUSY);
    assertThat(route.isSticky()).isFalse();
    assertThat(route.retry()).isEqualTo(new dev.spillway.config.RetryConfig(3, 50, 400L, 0L, 9000L));
    ProviderConfig provider = snapshot.providers().stream().filter(p -> p.name().equals(providerName)).findFirst()
        .orElseThrow();
    assertThat(provider.breaker().consecutiveFailures()).isEqualTo(2);
    assertThat(provider.breaker().openMs()).isEqualTo(750);
    assertThat(provider.breaker().windowSeconds()).isEqualTo(30);
    assertThat(snapshot.virtualKeys()).filteredOn(k -> k.id().equals(keyId)).singleElement()
        .extracting(VirtualKeyConfig::metadata).isEqualTo(java.util.Map.of("tier", "gold"));
    assertThat(snapshot.virtualKeys()).filteredOn(k -> k.id().equals(legacyKeyId)).singleElement()
        .extracting(VirtualKeyConfig::metadata).isEqualTo(java.util.Map.of("cost_center", "42"));
    dev.spillway.config.RoutingRuleConfig rule = snapshot.routingRules().stream().filter(r -> r.id().equals(ruleId))
        .findFirst().orElseThrow();
    assertThat(rule.name()).isEqualTo(ruleName);
    assertThat(rule.priority()).isEqualTo(7);
    assertThat(rule.teamId()).isEqualTo(teamId);
    assertThat(rule.keyMetadata()).isEqualTo(java.util.Map.of("tier", "gold"));
    assertThat(rule.headers()).isEqualTo(java.util.Map.of("x-env", "prod"));
    assertThat(rule.modelPattern()).isEqualTo("gpt-*");
    assertThat(rule.route()).isEqualTo(model);

    // Renaming the route follows the rule, which refers to it by id.
    String renamed = unique("renamed-route");
    assertStatus(admin().patch("/api/v1/routes/" + routeId, "{\"model\": \"%s\"}".formatted(renamed)), 200);
    awaitSnapshotCaughtUp();
    ApiResponse next = pollSnapshot(0);
    SnapshotConfig after = codec.decode(next.body(), next.header("Spillway-Snapshot-Sha256"));
    assertThat(after.routingRules()).filteredOn(r -> r.id().equals(ruleId)).singleElement()
        .extracting(dev.spillway.config.RoutingRuleConfig::route).isEqualTo(renamed);
    assertThat(dev.spillway.config.SnapshotValidator.problems(after)).isEmpty();
  }
}
