package dev.spillway.controlplane.requestlog;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.DashboardSession;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code GET /api/v1/requests} and {@code GET /api/v1/requests/{id}} over rows written straight into the table. */
class RequestLogApiIT extends ControlPlaneIntegrationTest {

  @Test
  void listsNewestFirstWithoutBodiesAndPagesWithAnOpaqueCursor() {
    UUID team = team();
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      // Two share a time: the request id orders them.
      Instant at = now.minus(Duration.ofMinutes(i == 4 ? 3 : i));
      ids.add(LoggedRequest.of(unique("page-" + i), at).team(team, null)
          .bodies("full", "{\"model\":\"demo\",\"messages\":[]}", "{\"choices\":[]}").insert(jdbc).requestId());
    }
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonNode page = assertStatus(admin().get("/api/v1/requests?team_id=" + team + "&limit=2"
          + (cursor == null ? "" : "&cursor=" + cursor)), 200);
      for (JsonNode row : page.get("data")) {
        seen.add(row.get("request_id").stringValue());
        assertThat(row.has("request")).isFalse();
        assertThat(row.has("response")).isFalse();
        assertThat(row.has("request_body")).isFalse();
        assertThat(row.get("request_stored").booleanValue()).isTrue();
      }
      cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").stringValue();
      pages++;
    } while (cursor != null);

    assertThat(pages).isEqualTo(3);
    List<String> expected = new ArrayList<>(ids.subList(0, 3));
    // ids 3 and 4 are 3 minutes old: descending request id between them.
    expected.add(ids.get(3).compareTo(ids.get(4)) > 0 ? ids.get(3) : ids.get(4));
    expected.add(ids.get(3).compareTo(ids.get(4)) > 0 ? ids.get(4) : ids.get(3));
    assertThat(seen).containsExactlyElementsOf(expected);
  }

  @Test
  void aRecordCarriesTheContractsFields() {
    UUID team = team();
    UUID key = UUID.randomUUID();
    String id = LoggedRequest.of(unique("fields"), Instant.now()).team(team, key).route("fields-route")
        .served("anthropic", "claude-x").status(429, "rate_limit_exceeded").latency(321, 45L).cost("0.5")
        .cache("hit-exact").insert(jdbc).requestId();

    JsonNode row = assertStatus(admin().get("/api/v1/requests?request_id=" + id), 200).get("data").get(0);

    assertThat(row.get("request_id").stringValue()).isEqualTo(id);
    assertThat(row.get("team_id").stringValue()).isEqualTo(team.toString());
    assertThat(row.get("key_id").stringValue()).isEqualTo(key.toString());
    assertThat(row.get("route").stringValue()).isEqualTo("fields-route");
    assertThat(row.get("provider").stringValue()).isEqualTo("anthropic");
    assertThat(row.get("model").stringValue()).isEqualTo("claude-x");
    assertThat(row.get("status").intValue()).isEqualTo(429);
    assertThat(row.get("error_code").stringValue()).isEqualTo("rate_limit_exceeded");
    assertThat(row.get("latency_ms").longValue()).isEqualTo(321);
    assertThat(row.get("ttft_ms").longValue()).isEqualTo(45);
    assertThat(row.get("cost_usd").decimalValue()).isEqualByComparingTo("0.5");
    assertThat(row.get("cache").stringValue()).isEqualTo("hit-exact");
    assertThat(row.get("client_api").stringValue()).isEqualTo("chat");
    assertThat(row.get("content_policy").stringValue()).isEqualTo("none");
    assertThat(row.get("time").stringValue()).endsWith("Z");
  }

  @Test
  void filtersByStatusCacheLatencyRouteProviderModelAndKey() {
    UUID team = team();
    UUID key = UUID.randomUUID();
    Instant at = Instant.now().minus(Duration.ofMinutes(5));
    String ok = LoggedRequest.of(unique("ok"), at).team(team, key).insert(jdbc).requestId();
    String limited = LoggedRequest.of(unique("limited"), at).team(team, null).status(429, "rate_limit_exceeded")
        .insert(jdbc).requestId();
    String failed = LoggedRequest.of(unique("failed"), at).team(team, null).status(502, "upstream_error")
        .latency(9000, null).route("other-route").served("anthropic", "claude-x").insert(jdbc).requestId();
    String hit = LoggedRequest.of(unique("hit"), at).team(team, null).cache("hit-semantic").insert(jdbc)
        .requestId();
    String base = "/api/v1/requests?team_id=" + team;

    assertThat(ids(base + "&status=4xx")).containsExactly(limited);
    assertThat(ids(base + "&status=429")).containsExactly(limited);
    assertThat(ids(base + "&status=5xx")).containsExactly(failed);
    assertThat(ids(base + "&status=2xx")).containsExactlyInAnyOrder(ok, hit);
    assertThat(ids(base + "&cache=hit")).containsExactly(hit);
    assertThat(ids(base + "&cache=hit-semantic")).containsExactly(hit);
    assertThat(ids(base + "&min_latency_ms=1000")).containsExactly(failed);
    assertThat(ids(base + "&route=other-route")).containsExactly(failed);
    assertThat(ids(base + "&provider=anthropic")).containsExactly(failed);
    assertThat(ids(base + "&model=claude-x")).containsExactly(failed);
    assertThat(ids(base + "&key_id=" + key)).containsExactly(ok);
    assertThat(ids(base + "&request_id=" + hit)).containsExactly(hit);
  }

  @Test
  void theRangeDefaultsToTheLastDayExceptForASearchByRequestId() {
    UUID team = team();
    Instant old = Instant.now().minus(Duration.ofDays(3));
    String recent = LoggedRequest.of(unique("recent"), Instant.now().minus(Duration.ofHours(2))).team(team, null)
        .insert(jdbc).requestId();
    String older = LoggedRequest.of(unique("older"), old).team(team, null).insert(jdbc).requestId();

    assertThat(ids("/api/v1/requests?team_id=" + team)).containsExactly(recent);
    assertThat(ids("/api/v1/requests?team_id=" + team + "&from=" + old.minus(Duration.ofHours(1)) + "&to="
        + old.plus(Duration.ofHours(1)))).containsExactly(older);
    assertThat(ids("/api/v1/requests?request_id=" + older)).containsExactly(older);
    JsonNode page = assertStatus(admin().get("/api/v1/requests?team_id=" + team), 200);
    assertThat(Duration.between(Instant.parse(page.get("from").stringValue()),
        Instant.parse(page.get("to").stringValue()))).isEqualTo(Duration.ofHours(24));
  }

  @Test
  void oneRequestHasItsAttemptsAndDecodedBodies() {
    UUID team = team();
    String id = LoggedRequest.of(unique("detail"), Instant.now()).team(team, null)
        .attempts("""
            [{"provider":"dead","model":"x","status_code":null,"error_code":"connect_failed","latency_ms":3,
              "started_ms":0},
             {"provider":"openai","model":"gpt-4o-mini","status_code":200,"error_code":null,"latency_ms":100,
              "started_ms":15}]""")
        .bodies("redacted", """
            {"model":"demo","messages":[{"role":"user","content":"my key is [REDACTED:provider_key]"}]}""", """
            {"choices":[{"message":{"role":"assistant","content":"noted"}}]}""")
        .insert(jdbc).requestId();

    JsonNode detail = assertStatus(admin().get("/api/v1/requests/" + id), 200);

    assertThat(detail.get("request_id").stringValue()).isEqualTo(id);
    assertThat(detail.get("content_policy").stringValue()).isEqualTo("redacted");
    assertThat(detail.get("attempts")).hasSize(2);
    assertThat(detail.get("attempts").get(0).get("status_code").isNull()).isTrue();
    assertThat(detail.get("attempts").get(0).get("error_code").stringValue()).isEqualTo("connect_failed");
    assertThat(detail.get("attempts").get(1).get("started_ms").longValue()).isEqualTo(15);
    assertThat(detail.get("request").get("messages").get(0).get("content").stringValue())
        .isEqualTo("my key is [REDACTED:provider_key]");
    assertThat(detail.get("response").get("choices").get(0).get("message").get("content").stringValue())
        .isEqualTo("noted");
    assertThat(detail.get("request_truncated").booleanValue()).isFalse();
  }

  @Test
  void aBodyCutByTheSizeCapComesBackAsTextAndSaysSo() {
    String id = LoggedRequest.of(unique("cut"), Instant.now()).team(team(), null)
        .bodies("full", null, null).truncatedRequest("{\"model\":\"demo\",\"messages\":[{\"role\":\"us")
        .insert(jdbc).requestId();

    JsonNode detail = assertStatus(admin().get("/api/v1/requests/" + id), 200);

    assertThat(detail.get("request_truncated").booleanValue()).isTrue();
    assertThat(detail.get("request").stringValue()).isEqualTo("{\"model\":\"demo\",\"messages\":[{\"role\":\"us");
    assertThat(detail.get("response").isNull()).isTrue();
  }

  @Test
  void anUnknownRequestIsNotFound() {
    assertApiError(admin().get("/api/v1/requests/" + unique("nope")), 404, null);
  }

  @Test
  void badFiltersAreRefusedNamingTheParameter() {
    assertApiError(admin().get("/api/v1/requests?status=abc"), 400, "status");
    assertApiError(admin().get("/api/v1/requests?status=600"), 400, "status");
    assertApiError(admin().get("/api/v1/requests?limit=0"), 400, "limit");
    assertApiError(admin().get("/api/v1/requests?limit=501"), 400, "limit");
    assertApiError(admin().get("/api/v1/requests?limit=ten"), 400, "limit");
    assertApiError(admin().get("/api/v1/requests?from=yesterday"), 400, "from");
    assertApiError(admin().get("/api/v1/requests?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"), 400, "to");
    assertApiError(admin().get("/api/v1/requests?cursor=!!!"), 400, "cursor");
    assertApiError(admin().get("/api/v1/requests?team_id=not-a-uuid"), 400, "team_id");
    assertApiError(admin().get("/api/v1/requests?key_id=not-a-uuid"), 400, "key_id");
    assertApiError(admin().get("/api/v1/requests?min_latency_ms=-1"), 400, "min_latency_ms");
    assertApiError(admin().get("/api/v1/requests?cache=HIT%20OR%201=1"), 400, "cache");
  }

  @Test
  void teamMembersSeeOnlyTheirTeamsRequests() {
    UUID own = team();
    UUID other = team();
    Instant at = Instant.now().minus(Duration.ofMinutes(1));
    String mine = LoggedRequest.of(unique("mine"), at).team(own, null).insert(jdbc).requestId();
    String theirs = LoggedRequest.of(unique("theirs"), at).team(other, null)
        .bodies("full", "{\"model\":\"demo\",\"messages\":[]}", null).insert(jdbc).requestId();
    String noTeam = LoggedRequest.of(unique("no-team"), at).status(401, "invalid_api_key").insert(jdbc)
        .requestId();

    Reader teamViewer = teamViewerSession(own)::get;
    Reader teamAdmin = bearer(createApiToken("team_admin", own.toString()))::get;
    for (Reader member : List.of(teamViewer, teamAdmin)) {
      assertThat(ids(member, "/api/v1/requests")).contains(mine).doesNotContain(theirs, noTeam);
      assertThat(ids(member, "/api/v1/requests?request_id=" + theirs)).isEmpty();
      assertStatus(member.get("/api/v1/requests/" + mine), 200);
      assertApiError(member.get("/api/v1/requests/" + theirs), 404, null);
      assertApiError(member.get("/api/v1/requests/" + noTeam), 404, null);
      assertApiError(member.get("/api/v1/requests?team_id=" + other), 403, null);
    }
    Reader orgViewer = bearer(createApiToken("viewer", null))::get;
    assertThat(ids(orgViewer, "/api/v1/requests?request_id=" + theirs)).containsExactly(theirs);
    assertStatus(orgViewer.get("/api/v1/requests/" + noTeam), 200);
  }

  @Test
  void theListNeedsAnAdminCredential() {
    assertApiError(anonymous().get("/api/v1/requests"), 401, null);
    assertApiError(bearer("not-a-token").get("/api/v1/requests/x"), 401, null);
  }

  /** A GET with some caller's credentials. */
  interface Reader {
    ApiResponse get(String path);
  }

  /** A signed-in dashboard user who views this team (the API answers a dashboard session too). */
  private Reader teamViewerSession(UUID team) {
    String email = unique("logs-viewer") + "@example.com";
    String user = assertStatus(admin().post("/api/v1/users", "{\"email\": \"%s\"}".formatted(email)), 201)
        .get("id").stringValue();
    assertStatus(admin().post("/api/v1/teams/" + team + "/members", """
        {"user_id": "%s", "role": "viewer"}""".formatted(user)), 201);
    DashboardSession session = signInAs(email);
    return path -> session.api("GET", path, null, false);
  }

  private UUID team() {
    return UUID.fromString(createTeam(unique("logs-team")).get("id").stringValue());
  }

  private List<String> ids(String path) {
    return ids(admin()::get, path);
  }

  private static List<String> ids(Reader client, String path) {
    List<String> ids = new ArrayList<>();
    assertStatus(client.get(path), 200).get("data").forEach(r -> ids.add(r.get("request_id").stringValue()));
    return ids;
  }
}
