package dev.spillway.controlplane.requestlog;

import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.RecordedRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /api/v1/requests/{id}/replay} on a control plane whose {@code SPILLWAY_DP_URL} is a real HTTP server
 * (a fake OpenAI-compatible provider standing in for a node, recording what it was sent): the stored body, model
 * replaced and streaming off, with the node token and the replay headers; who may replay what, on which key.
 */
class RequestLogReplayIT extends ControlPlaneIntegrationTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private static FakeProvider dataPlane;
  private static ConfigurableApplicationContext replica;
  private static String replicaUrl;

  @BeforeAll
  static void start() {
    dataPlane = FakeProvider.start();
    replica = startReplica(Map.of("spillway.replay.data-plane-url", dataPlane.origin() + "/",
        "spillway.replay.timeout", "5s"));
    replicaUrl = baseUrlOf(replica);
  }

  @AfterAll
  static void stop() {
    if (replica != null) {
      replica.close();
    }
    if (dataPlane != null) {
      dataPlane.close();
    }
  }

  @BeforeEach
  void reset() {
    dataPlane.reset();
  }

  @Test
  void sendsTheStoredBodyWithTheNewModelAndStreamingOffToTheDataPlaneAsTheChosenKey() throws Exception {
    UUID team = team();
    UUID key = key(team);
    String id = LoggedRequest.of(unique("replay"), Instant.now()).team(team, key)
        .bodies("full", """
            {"model":"demo","stream":true,"stream_options":{"include_usage":true},"temperature":0.2,
             "messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello again"}]}""", """
            {"choices":[{"message":{"role":"assistant","content":"the first answer"}}]}""")
        .insert(jdbc).requestId();

    HttpResponse<String> answer = replay(ADMIN_TOKEN, id, "other-route", key);

    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    RecordedRequest sent = dataPlane.lastRequest();
    assertThat(sent.uri()).isEqualTo("/v1/chat/completions");
    assertThat(sent.header("authorization")).isEqualTo("Bearer " + NODE_TOKEN);
    assertThat(sent.header("x-spillway-replay-key-id")).isEqualTo(key.toString());
    assertThat(sent.header("x-spillway-replay-of")).isEqualTo(id);
    JsonNode body = sent.json();
    assertThat(body.get("model").stringValue()).isEqualTo("other-route");
    assertThat(body.get("stream").booleanValue()).isFalse();
    assertThat(body.has("stream_options")).isFalse();
    assertThat(body.get("temperature").doubleValue()).isEqualTo(0.2);
    assertThat(body.get("messages").get(1).get("content").stringValue()).isEqualTo("hello again");

    JsonNode result = JSON.readTree(answer.body());
    assertThat(result.get("original").get("request_id").stringValue()).isEqualTo(id);
    assertThat(result.get("original").get("response").get("choices").get(0).get("message").get("content")
        .stringValue()).isEqualTo("the first answer");
    JsonNode replayed = result.get("replay");
    assertThat(replayed.get("status_code").intValue()).isEqualTo(200);
    assertThat(replayed.get("latency_ms").longValue()).isGreaterThanOrEqualTo(0);
    assertThat(replayed.get("response").get("choices").get(0).get("message").get("content").stringValue())
        .contains("hello again");
    assertThat(replayed.has("cost_usd")).isTrue();
    assertThat(answer.body()).doesNotContain(NODE_TOKEN);

    JsonNode audit = jdbc.sql("SELECT after::text FROM audit_events WHERE action = 'request.replay' AND "
        + "resource_id = ?").param(id).query((rs, i) -> JSON.readTree(rs.getString(1))).single();
    assertThat(audit.get("model").stringValue()).isEqualTo("other-route");
    assertThat(audit.get("key_id").stringValue()).isEqualTo(key.toString());
    assertThat(audit.get("status_code").intValue()).isEqualTo(200);
  }

  @Test
  void anAnthropicRequestIsReplayedOnTheMessagesPath() throws Exception {
    UUID team = team();
    UUID key = key(team);
    String id = LoggedRequest.of(unique("replay-messages"), Instant.now()).team(team, key).clientApi("messages")
        .bodies("redacted", """
            {"model":"claude","max_tokens":64,"system":"terse","messages":[{"role":"user","content":"hi"}]}""",
            null)
        .insert(jdbc).requestId();

    replay(ADMIN_TOKEN, id, "mock/mock-1", key);

    RecordedRequest sent = dataPlane.lastRequest();
    assertThat(sent.uri()).isEqualTo("/v1/messages");
    assertThat(sent.json().get("model").stringValue()).isEqualTo("mock/mock-1");
    assertThat(sent.json().get("stream").booleanValue()).isFalse();
    assertThat(sent.json().get("system").stringValue()).isEqualTo("terse");
  }

  @Test
  void whatCannotBeReplayedIsRefusedBeforeAnythingIsSent() throws Exception {
    UUID team = team();
    UUID key = key(team);
    String metadataOnly = LoggedRequest.of(unique("no-body"), Instant.now()).team(team, key).insert(jdbc)
        .requestId();
    String cut = LoggedRequest.of(unique("cut"), Instant.now()).team(team, key).bodies("full", null, null)
        .truncatedRequest("{\"model\":\"demo\",\"mess").insert(jdbc).requestId();
    String stored = LoggedRequest.of(unique("stored"), Instant.now()).team(team, key)
        .bodies("full", "{\"model\":\"demo\",\"messages\":[]}", null).insert(jdbc).requestId();
    UUID revoked = key(team);
    assertStatus(admin().delete("/api/v1/virtual-keys/" + revoked), 204);

    assertError(replay(ADMIN_TOKEN, metadataOnly, "demo", key), 409, "request_id");
    assertError(replay(ADMIN_TOKEN, cut, "demo", key), 409, "request_id");
    assertError(replay(ADMIN_TOKEN, stored, " ", key), 400, "model");
    assertError(replay(ADMIN_TOKEN, stored, "demo", null), 400, "key_id");
    assertError(replay(ADMIN_TOKEN, stored, "demo", revoked), 400, "key_id");
    assertError(replay(ADMIN_TOKEN, unique("unknown"), "demo", key), 404, null);
    assertThat(dataPlane.requestCount()).isZero();
  }

  @Test
  void aTeamAdminReplaysItsTeamsRequestsOnItsTeamsKeysOnly() throws Exception {
    UUID own = team();
    UUID other = team();
    UUID ownKey = key(own);
    UUID otherKey = key(other);
    String mine = LoggedRequest.of(unique("mine"), Instant.now()).team(own, ownKey)
        .bodies("full", "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", null)
        .insert(jdbc).requestId();
    String theirs = LoggedRequest.of(unique("theirs"), Instant.now()).team(other, otherKey)
        .bodies("full", "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", null)
        .insert(jdbc).requestId();
    String teamAdmin = createApiToken("team_admin", own.toString());
    String orgViewer = createApiToken("viewer", null);

    assertThat(replay(teamAdmin, mine, "demo", ownKey).statusCode()).isEqualTo(200);
    assertError(replay(teamAdmin, mine, "demo", otherKey), 403, null);
    assertError(replay(teamAdmin, theirs, "demo", ownKey), 404, null);
    assertError(replay(orgViewer, mine, "demo", ownKey), 403, null);
    assertThat(dataPlane.requestCount()).isEqualTo(1);
  }

  private void assertError(HttpResponse<String> response, int status, String field) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    JsonNode error = JSON.readTree(response.body()).get("error");
    assertThat(error.get("message").stringValue()).isNotBlank();
    if (field != null) {
      assertThat(error.get("field").stringValue()).isEqualTo(field);
    }
  }

  private static HttpResponse<String> replay(String token, String requestId, String model, UUID key)
      throws Exception {
    String json = "{\"model\": " + JSON.writeValueAsString(model) + ", \"key_id\": "
        + (key == null ? "null" : "\"" + key + "\"") + "}";
    return HTTP.send(HttpRequest.newBuilder(URI.create(replicaUrl + "/api/v1/requests/" + requestId + "/replay"))
        .timeout(Duration.ofSeconds(15))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private UUID team() {
    return UUID.fromString(createTeam(unique("replay-team")).get("id").stringValue());
  }

  private UUID key(UUID team) {
    return UUID.fromString(createKey(team.toString(), unique("replay-key")).get("id").stringValue());
  }
}
