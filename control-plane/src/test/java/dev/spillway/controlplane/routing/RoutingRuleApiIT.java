package dev.spillway.controlplane.routing;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code /api/v1/routing-rules}: conditions on team, key metadata, headers and model, pointing at a route by name. */
class RoutingRuleApiIT extends ControlPlaneIntegrationTest {
  private String route;
  private String routeId;
  private String teamId;

  @BeforeEach
  void fixtures() {
    String provider = unique("rule-provider");
    createMockProvider(provider);
    route = unique("rule-route");
    routeId = createRoute(route, provider).get("id").stringValue();
    teamId = createTeam(unique("rule-team")).get("id").stringValue();
  }

  @Test
  void createsReadsChangesAndDeletesARuleEachInOneAuditedVersion() {
    String name = unique("gold-tier");
    long before = configVersion();

    ApiResponse created = admin().post("/api/v1/routing-rules", """
        {"name": "%s", "priority": 5, "route": "%s",
         "match": {"team_id": "%s", "key_metadata": {"tier": "gold"}, "headers": {"X-Tier": "gold"},
                   "model": "claude-*"}}""".formatted(name, route, teamId));

    JsonNode rule = assertStatus(created, 201);
    String id = rule.get("id").stringValue();
    assertThat(created.header("Location")).isEqualTo("/api/v1/routing-rules/" + id);
    assertThat(configVersion()).isEqualTo(before + 1);
    JsonNode fetched = assertStatus(admin().get("/api/v1/routing-rules/" + id), 200);
    for (JsonNode body : new JsonNode[] {rule, fetched}) {
      assertThat(body.get("name").stringValue()).isEqualTo(name);
      assertThat(body.get("priority").asInt()).isEqualTo(5);
      assertThat(body.get("route").stringValue()).isEqualTo(route);
      assertThat(body.get("route_id").stringValue()).isEqualTo(routeId);
      assertThat(body.get("match").get("team_id").stringValue()).isEqualTo(teamId);
      assertThat(body.get("match").get("key_metadata").get("tier").stringValue()).isEqualTo("gold");
      assertThat(body.get("match").get("headers").has("x-tier")).as("header names are lower-case").isTrue();
      assertThat(body.get("match").get("model").stringValue()).isEqualTo("claude-*");
    }
    assertThat(assertStatus(admin().get("/api/v1/routing-rules"), 200).get("data").valueStream()
        .map(r -> r.get("id").stringValue())).contains(id);

    JsonNode patched = assertStatus(admin().patch("/api/v1/routing-rules/" + id, """
        {"priority": -3, "match": {"headers": null, "model": null}}"""), 200);
    assertThat(patched.get("priority").asInt()).isEqualTo(-3);
    assertThat(patched.get("match").get("headers").isEmpty()).isTrue();
    assertThat(patched.get("match").get("model").isNull()).isTrue();
    assertThat(patched.get("match").get("key_metadata").get("tier").stringValue()).isEqualTo("gold");
    assertThat(configVersion()).isEqualTo(before + 2);

    assertStatus(admin().delete("/api/v1/routing-rules/" + id), 204);
    assertApiError(admin().get("/api/v1/routing-rules/" + id), 404, null);
    assertThat(configVersion()).isEqualTo(before + 3);
    assertThat(jdbc.sql("SELECT action FROM audit_events WHERE resource_type = 'routing_rule' AND resource_id = ? "
        + "ORDER BY id").param(id).query(String.class).list())
        .containsExactly("routing_rule.create", "routing_rule.update", "routing_rule.delete");
  }

  @Test
  void refusesARuleWithoutAConditionAndNamesEveryBadField() {
    long before = configVersion();
    assertApiError(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "%s", "match": {}}""".formatted(unique("all"), route)), 400, "match");
    assertApiError(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "%s"}""".formatted(unique("all"), route)), 400, "match");
    JsonNode unknownRoute = assertApiError(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "no-such-route", "match": {"model": "x"}}""".formatted(unique("r"))), 400, "route");
    assertThat(message(unknownRoute)).contains("no-such-route");
    assertApiError(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "match": {"model": "x"}}""".formatted(unique("r"))), 400, "route");
    assertApiError(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "%s", "match": {"team_id": "%s"}}"""
        .formatted(unique("r"), route, java.util.UUID.randomUUID())), 400, "match.team_id");
    assertApiError(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "%s", "match": {"key_metadata": {"tier": 3}}}""".formatted(unique("r"), route)),
        400, "match.key_metadata.tier");
    assertApiError(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "%s", "match": {"headers": {"Authorization": "Bearer x"}}}"""
        .formatted(unique("r"), route)), 400, "match.headers.authorization");
    assertApiError(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "%s", "match": {"headers": {"bad header": "x"}}}""".formatted(unique("r"), route)),
        400, "match.headers");
    assertApiError(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "%s", "priority": 1000001, "match": {"model": "x"}}""".formatted(unique("r"), route)),
        400, "priority");
    assertApiError(admin().post("/api/v1/routing-rules", """
        {"route": "%s", "match": {"model": "x"}}""".formatted(route)), 400, "name");
    assertThat(configVersion()).isEqualTo(before);
  }

  @Test
  void namesAreUniqueAndAPatchCannotDropTheLastCondition() {
    String name = unique("unique-rule");
    String id = assertStatus(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "%s", "match": {"model": "gpt-*"}}""".formatted(name, route)), 201)
        .get("id").stringValue();

    assertApiError(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "%s", "match": {"model": "o1"}}""".formatted(name, route)), 409, "name");
    assertApiError(admin().patch("/api/v1/routing-rules/" + id, """
        {"match": {"model": null}}"""), 400, "match");
    assertApiError(admin().patch("/api/v1/routing-rules/" + id, """
        {"route_id": "%s"}""".formatted(routeId)), 400, "route_id");
  }

  @Test
  void aRouteARuleSendsToCannotBeDeletedAndTheConflictNamesTheRule() {
    String name = unique("keeps-route");
    String id = assertStatus(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "%s", "match": {"headers": {"x-canary": "1"}}}""".formatted(name, route)), 201)
        .get("id").stringValue();

    JsonNode conflict = assertApiError(admin().delete("/api/v1/routes/" + routeId), 409, "id");
    assertThat(message(conflict)).contains(name).contains(route);
    assertStatus(admin().get("/api/v1/routes/" + routeId), 200);

    assertStatus(admin().delete("/api/v1/routing-rules/" + id), 204);
    assertStatus(admin().delete("/api/v1/routes/" + routeId), 204);
  }

  @Test
  void orgViewersReadRulesAndOnlyOrgAdminsWriteThem() {
    String id = assertStatus(admin().post("/api/v1/routing-rules", """
        {"name": "%s", "route": "%s", "match": {"model": "m"}}""".formatted(unique("roles"), route)), 201)
        .get("id").stringValue();
    String viewer = createApiToken("viewer", null);
    String teamAdmin = createApiToken("team_admin", teamId);

    assertStatus(bearer(viewer).get("/api/v1/routing-rules/" + id), 200);
    assertApiError(bearer(teamAdmin).get("/api/v1/routing-rules"), 403, null);
    for (String token : new String[] {viewer, teamAdmin}) {
      assertApiError(bearer(token).post("/api/v1/routing-rules", """
          {"name": "%s", "route": "%s", "match": {"model": "m"}}""".formatted(unique("x"), route)), 403, null);
      assertApiError(bearer(token).patch("/api/v1/routing-rules/" + id, "{\"priority\": 1}"), 403, null);
      assertApiError(bearer(token).delete("/api/v1/routing-rules/" + id), 403, null);
    }
    assertStatus(admin().get("/api/v1/routing-rules/" + id), 200);
  }
}
