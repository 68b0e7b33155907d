package dev.spillway.controlplane.routing;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/** {@code /api/v1/routes}: weighted targets, ordered fallbacks and retry, all referring to providers by name. */
class RouteApiIT extends ControlPlaneIntegrationTest {
  private String primary;
  private String secondary;

  @BeforeEach
  void providers() {
    primary = unique("primary");
    secondary = unique("secondary");
    createMockProvider(primary);
    createMockProvider(secondary);
  }

  @Test
  void createsARouteWithTargetsFallbacksAndRetry() {
    String model = unique("gpt");

    ApiResponse created = admin().post("/api/v1/routes", """
        {"model": "%s",
         "targets": [{"provider": "%s", "model": "gpt-4o", "weight": 3}, {"provider": "%s", "model": "gpt-4o"}],
         "fallbacks": [{"provider": "%s", "model": "gpt-4o-mini"}],
         "retry": {"max_attempts": 3, "initial_backoff_ms": 250}}""".formatted(model, primary, secondary, secondary));

    JsonNode route = assertStatus(created, 201);
    String id = route.get("id").stringValue();
    assertThat(created.header("Location")).isEqualTo("/api/v1/routes/" + id);
    JsonNode fetched = assertStatus(admin().get("/api/v1/routes/" + id), 200);
    for (JsonNode body : new JsonNode[] {route, fetched}) {
      assertThat(body.get("model").stringValue()).isEqualTo(model);
      assertThat(body.get("targets")).hasSize(2);
      assertThat(body.get("targets").get(0).get("provider").stringValue()).isEqualTo(primary);
      assertThat(body.get("targets").get(0).get("model").stringValue()).isEqualTo("gpt-4o");
      assertThat(body.get("targets").get(0).get("weight").asInt()).isEqualTo(3);
      assertThat(body.get("targets").get(1).get("weight").asInt()).isEqualTo(1);
      assertThat(body.get("fallbacks")).hasSize(1);
      assertThat(body.get("fallbacks").get(0).get("provider").stringValue()).isEqualTo(secondary);
      assertThat(body.get("fallbacks").get(0).get("model").stringValue()).isEqualTo("gpt-4o-mini");
      assertThat(body.get("retry").get("max_attempts").asInt()).isEqualTo(3);
      assertThat(body.get("retry").get("initial_backoff_ms").asInt()).isEqualTo(250);
    }
    JsonNode list = assertStatus(admin().get("/api/v1/routes"), 200);
    assertThat(list.get("data").valueStream().map(r -> r.get("model").stringValue())).contains(model);
  }

  @Test
  void refusesAnUnknownProviderNamingTheTargetAndListingTheProviders() {
    var error = assertApiError(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "no-such-provider", "model": "m"}]}""".formatted(unique("r"))),
        400, "targets[0].provider");

    assertThat(message(error)).contains("no-such-provider", primary, secondary);
  }

  @Test
  void refusesAnUnknownFallbackProvider() {
    assertApiError(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "m"}],
         "fallbacks": [{"provider": "%s", "model": "m"}, {"provider": "ghost", "model": "m"}]}"""
        .formatted(unique("r"), primary, secondary)), 400, "fallbacks[1].provider");
  }

  @Test
  void refusesTargetWeightsSummingToZero() {
    var error = assertApiError(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "m", "weight": 0},
                                    {"provider": "%s", "model": "m", "weight": 0}]}"""
        .formatted(unique("r"), primary, secondary)), 400, "targets");

    assertThat(message(error)).contains("sum to 0");
  }

  @Test
  void refusesARouteWithoutTargets() {
    assertApiError(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": []}""".formatted(unique("r"))), 400, "targets");
  }

  @Test
  void refusesANegativeTargetWeight() {
    assertApiError(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "m", "weight": -1}]}""".formatted(unique("r"),
        primary)), 400, "targets[0].weight");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 11, 100})
  void refusesRetryAttemptsOutOfRange(int attempts) {
    var error = assertApiError(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "m"}], "retry": {"max_attempts": %d}}"""
        .formatted(unique("r"), primary, attempts)), 400, "retry.max_attempts");

    assertThat(message(error)).contains(Integer.toString(attempts));
  }

  @Test
  void refusesAModelNameWithWhitespace() {
    assertApiError(admin().post("/api/v1/routes", """
        {"model": "gpt 4", "targets": [{"provider": "%s", "model": "m"}]}""".formatted(primary)), 400, "model");
  }

  @Test
  void refusesADuplicateModel() {
    String model = unique("dup");
    createRoute(model, primary);

    var error = assertApiError(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "m"}]}""".formatted(model, secondary)), 409, "model");

    assertThat(message(error)).contains(model);
  }

  @Test
  void patchReplacesTargetsAndKeepsWhatIsAbsent() {
    String model = unique("patch");
    String id = assertStatus(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "a"}], "retry": {"max_attempts": 2}}"""
        .formatted(model, primary)), 201).get("id").stringValue();

    JsonNode patched = assertStatus(admin().patch("/api/v1/routes/" + id, """
        {"targets": [{"provider": "%s", "model": "b", "weight": 5}]}""".formatted(secondary)), 200);

    assertThat(patched.get("model").stringValue()).isEqualTo(model);
    assertThat(patched.get("targets")).hasSize(1);
    assertThat(patched.get("targets").get(0).get("provider").stringValue()).isEqualTo(secondary);
    assertThat(patched.get("targets").get(0).get("weight").asInt()).isEqualTo(5);
    assertThat(patched.get("retry").get("max_attempts").asInt()).isEqualTo(2);

    assertApiError(admin().patch("/api/v1/routes/" + id, """
        {"targets": [{"provider": "ghost", "model": "b"}]}"""), 400, "targets[0].provider");
    assertApiError(admin().patch("/api/v1/routes/" + id, """
        {"retry": {"max_attempts": 0}}"""), 400, "retry.max_attempts");
  }

  @Test
  void deletesARoute() {
    String id = createRoute(unique("del"), primary).get("id").stringValue();

    assertStatus(admin().delete("/api/v1/routes/" + id), 204);

    assertApiError(admin().get("/api/v1/routes/" + id), 404, null);
    assertThat(jdbc.sql("SELECT count(*) FROM route_targets WHERE route_id = ?").param(UUID.fromString(id))
        .query(Long.class).single()).isZero();
  }

  @Test
  void refusesToDeleteARouteThatActiveKeysAllowNamingThem() {
    String model = unique("allowed");
    String id = createRoute(model, primary).get("id").stringValue();
    String teamName = unique("route-users");
    String team = createTeam(teamName).get("id").stringValue();
    String key = assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "uses-route", "team_id": "%s", "models": ["%s"]}""".formatted(team, model)), 201)
        .get("id").stringValue();

    var error = assertApiError(admin().delete("/api/v1/routes/" + id), 409, "id");

    assertThat(error.get("message").stringValue()).contains(teamName + "/uses-route");
    assertStatus(admin().delete("/api/v1/virtual-keys/" + key), 204);
    assertStatus(admin().delete("/api/v1/routes/" + id), 204);
  }

  @Test
  void answers404ForUnknownAndMalformedIds() {
    for (String id : new String[] {UUID.randomUUID().toString(), "nope"}) {
      assertApiError(admin().get("/api/v1/routes/" + id), 404, null);
      assertApiError(admin().patch("/api/v1/routes/" + id, "{}"), 404, null);
      assertApiError(admin().delete("/api/v1/routes/" + id), 404, null);
    }
  }

  @Test
  void strategyStickinessAndTheRetryCeilingsRoundTripAndAbsentOnesTakeTheDefaults() {
    JsonNode route = assertStatus(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "m"}], "strategy": "headroom", "sticky": false,
         "retry": {"max_attempts": 2, "initial_backoff_ms": 100, "max_backoff_ms": 2000,
                   "max_retry_after_ms": 30000, "deadline_ms": 15000}}""".formatted(unique("r"), primary)), 201);
    String id = route.get("id").stringValue();
    JsonNode fetched = assertStatus(admin().get("/api/v1/routes/" + id), 200);
    for (JsonNode body : new JsonNode[] {route, fetched}) {
      assertThat(body.get("strategy").stringValue()).isEqualTo("headroom");
      assertThat(body.get("sticky").booleanValue()).isFalse();
      assertThat(body.get("retry").get("max_backoff_ms").asLong()).isEqualTo(2000);
      assertThat(body.get("retry").get("max_retry_after_ms").asLong()).isEqualTo(30000);
      assertThat(body.get("retry").get("deadline_ms").asLong()).isEqualTo(15000);
    }

    JsonNode patched = assertStatus(admin().patch("/api/v1/routes/" + id, """
        {"strategy": "least_latency", "retry": {"deadline_ms": 0}}"""), 200);
    assertThat(patched.get("strategy").stringValue()).isEqualTo("least_latency");
    assertThat(patched.get("sticky").booleanValue()).isFalse();
    assertThat(patched.get("retry").get("deadline_ms").asLong()).isZero();
    assertThat(patched.get("retry").get("max_backoff_ms").asLong()).isEqualTo(2000);

    JsonNode defaults = assertStatus(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "m"}]}""".formatted(unique("r"), primary)), 201);
    assertThat(defaults.get("strategy").stringValue()).isEqualTo("weighted");
    assertThat(defaults.get("sticky").booleanValue()).isTrue();
    assertThat(defaults.get("retry").get("max_backoff_ms").asLong()).isEqualTo(8000);
    assertThat(defaults.get("retry").get("max_retry_after_ms").asLong()).isEqualTo(10000);
    assertThat(defaults.get("retry").get("deadline_ms").asLong()).isZero();
  }

  @Test
  void refusesAnUnknownStrategyListingTheAcceptedOnes() {
    var error = assertApiError(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "m"}], "strategy": "fastest"}"""
        .formatted(unique("r"), primary)), 400, "strategy");

    assertThat(message(error)).contains("fastest", "weighted", "least_latency", "least_busy", "headroom");
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"max_backoff_ms\": -1", "\"max_backoff_ms\": 300001", "\"max_retry_after_ms\": 600001",
      "\"deadline_ms\": 3600001", "\"deadline_ms\": -5"})
  void refusesRetryCeilingsOutOfRangeNamingTheField(String field) {
    String name = field.substring(1, field.indexOf('"', 1));
    long before = configVersion();

    assertApiError(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "m"}], "retry": {%s}}"""
        .formatted(unique("r"), primary, field)), 400, "retry." + name);
    assertThat(configVersion()).isEqualTo(before);
  }

  @Test
  void stickyTakesOnlyAJsonBoolean() {
    assertApiError(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "m"}], "sticky": "no"}"""
        .formatted(unique("r"), primary)), 400, "sticky");
  }
}
