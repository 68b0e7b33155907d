package dev.spillway.controlplane.team;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/** {@code /api/v1/teams}: create, read, merge-patch, delete, and every way a request can be refused. */
class TeamApiIT extends ControlPlaneIntegrationTest {

  @Test
  void createsATeamWithBudgetAndRateLimitAndServesItBack() {
    String name = unique("team");
    ApiResponse response = admin().post("/api/v1/teams", """
        {"name": "%s", "description": "research", "budget": {"limit_usd": 12.5, "period": "weekly"},
         "rate_limit": {"rpm": 600, "tpm": 100000, "max_concurrent": 20}}""".formatted(name));
    JsonNode team = assertStatus(response, 201);
    String id = team.get("id").stringValue();
    assertThat(response.header("Location")).isEqualTo("/api/v1/teams/" + id);
    assertThat(team.get("name").stringValue()).isEqualTo(name);
    assertThat(team.get("budget").get("limit_usd").decimalValue()).isEqualByComparingTo("12.5");
    assertThat(team.get("budget").get("period").stringValue()).isEqualTo("weekly");
    assertThat(team.get("rate_limit").get("rpm").asInt()).isEqualTo(600);

    JsonNode fetched = assertStatus(admin().get("/api/v1/teams/" + id), 200);
    assertThat(fetched.get("name").stringValue()).isEqualTo(name);
    assertThat(fetched.get("description").stringValue()).isEqualTo("research");
    assertThat(fetched.get("budget").get("limit_usd").decimalValue()).isEqualByComparingTo("12.5");
    assertThat(fetched.get("rate_limit").get("tpm").asInt()).isEqualTo(100000);
    assertThat(fetched.get("rate_limit").get("max_concurrent").asInt()).isEqualTo(20);
  }

  @Test
  void listsTeamsUnderData() {
    String first = unique("list-a");
    String second = unique("list-b");
    createTeam(first);
    createTeam(second);

    JsonNode list = assertStatus(admin().get("/api/v1/teams"), 200);

    assertThat(list.get("data").valueStream().map(t -> t.get("name").stringValue())).contains(first, second);
  }

  @Test
  void refusesADuplicateNameIgnoringCase() {
    String name = unique("dup");
    createTeam(name);

    var error = assertApiError(admin().post("/api/v1/teams", """
        {"name": "%s"}""".formatted(name.toUpperCase())), 409, "name");

    assertThat(message(error)).contains(name.toUpperCase());
  }

  @Test
  void refusesAMissingName() {
    assertApiError(admin().post("/api/v1/teams", """
        {"description": "no name"}"""), 400, "name");
  }

  @Test
  void refusesANegativeBudgetNamingBudgetLimitUsd() {
    var error = assertApiError(admin().post("/api/v1/teams", """
        {"name": "%s", "budget": {"limit_usd": -1}}""".formatted(unique("neg"))), 400, "budget.limit_usd");

    assertThat(message(error)).contains("-1");
  }

  @Test
  void refusesAnUnknownBudgetPeriod() {
    var error = assertApiError(admin().post("/api/v1/teams", """
        {"name": "%s", "budget": {"limit_usd": 5, "period": "hourly"}}""".formatted(unique("period"))), 400,
        "budget.period");

    assertThat(message(error)).contains("hourly").contains("monthly");
  }

  @ParameterizedTest
  @CsvSource({"rpm, 0", "rpm, -5", "tpm, 0", "max_concurrent, -1"})
  void refusesARateLimitThatIsNotPositive(String limit, int value) {
    assertApiError(admin().post("/api/v1/teams", """
        {"name": "%s", "rate_limit": {"%s": %d}}""".formatted(unique("rl"), limit, value)), 400,
        "rate_limit." + limit);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "\"rate_limit\": {\"rpm\": \"abc\"}        | rate_limit.rpm",
      "\"budget\": {\"limit_usd\": \"ten\"}      | budget.limit_usd",
      "\"budget\": {\"limit_usd\": [1]}          | budget.limit_usd",
      "\"budget\": 5                             | budget"})
  void refusesAWrongJsonTypeNamingTheField(String fragment, String field) {
    assertApiError(admin().post("/api/v1/teams", """
        {"name": "%s", %s}""".formatted(unique("types"), fragment)), 400, field);
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"name\": ", "{name: 'x'}", "not json at all"})
  void refusesMalformedJson(String body) {
    assertApiError(admin().post("/api/v1/teams", body), 400, null);
  }

  @Test
  void patchLeavesAbsentFieldsUnchanged() {
    String name = unique("patch");
    String id = teamWithLimits(name);

    JsonNode patched = assertStatus(admin().patch("/api/v1/teams/" + id, """
        {"description": "changed"}"""), 200);

    assertThat(patched.get("description").stringValue()).isEqualTo("changed");
    JsonNode fetched = assertStatus(admin().get("/api/v1/teams/" + id), 200);
    assertThat(fetched.get("name").stringValue()).isEqualTo(name);
    assertThat(fetched.get("description").stringValue()).isEqualTo("changed");
    assertThat(fetched.get("budget").get("limit_usd").decimalValue()).isEqualByComparingTo("10");
    assertThat(fetched.get("budget").get("period").stringValue()).isEqualTo("daily");
    assertThat(fetched.get("rate_limit").get("rpm").asInt()).isEqualTo(60);
    assertThat(fetched.get("rate_limit").get("tpm").asInt()).isEqualTo(5000);
  }

  @Test
  void patchMergesNestedObjectsFieldByField() {
    String id = teamWithLimits(unique("nested"));

    assertStatus(admin().patch("/api/v1/teams/" + id, """
        {"rate_limit": {"rpm": 120, "tpm": null}, "budget": {"limit_usd": 20}}"""), 200);

    JsonNode fetched = assertStatus(admin().get("/api/v1/teams/" + id), 200);
    assertThat(fetched.get("rate_limit").get("rpm").asInt()).isEqualTo(120);
    assertThat(fetched.get("rate_limit").get("tpm").isNull()).isTrue();
    assertThat(fetched.get("budget").get("limit_usd").decimalValue()).isEqualByComparingTo("20");
    assertThat(fetched.get("budget").get("period").stringValue()).isEqualTo("daily");
  }

  @Test
  void patchWithNullRemovesBudgetAndRateLimit() {
    String id = teamWithLimits(unique("remove"));

    JsonNode patched = assertStatus(admin().patch("/api/v1/teams/" + id, """
        {"budget": null, "rate_limit": null}"""), 200);

    assertThat(patched.get("budget").isNull()).isTrue();
    assertThat(patched.get("rate_limit").isNull()).isTrue();
    JsonNode fetched = assertStatus(admin().get("/api/v1/teams/" + id), 200);
    assertThat(fetched.get("budget").isNull()).isTrue();
    assertThat(fetched.get("rate_limit").isNull()).isTrue();
    assertThat(fetched.get("description").stringValue()).isEqualTo("with limits");
    assertThat(limitRows(id)).isZero();
  }

  @Test
  void patchValidatesLikeCreate() {
    String id = teamWithLimits(unique("pv"));
    String other = unique("pv-other");
    createTeam(other);

    assertApiError(admin().patch("/api/v1/teams/" + id, """
        {"rate_limit": {"rpm": 0}}"""), 400, "rate_limit.rpm");
    assertApiError(admin().patch("/api/v1/teams/" + id, """
        {"rate_limit": {"rpm": "abc"}}"""), 400, "rate_limit.rpm");
    assertApiError(admin().patch("/api/v1/teams/" + id, """
        {"budget": {"limit_usd": -3}}"""), 400, "budget.limit_usd");
    assertApiError(admin().patch("/api/v1/teams/" + id, """
        {"name": null}"""), 400, "name");
    assertApiError(admin().patch("/api/v1/teams/" + id, """
        {"id": "%s"}""".formatted(UUID.randomUUID())), 400, "id");
    assertApiError(admin().patch("/api/v1/teams/" + id, """
        {"name": "%s"}""".formatted(other.toUpperCase())), 409, "name");
    assertApiError(admin().patch("/api/v1/teams/" + id, "{\"name\": "), 400, null);

    JsonNode unchanged = assertStatus(admin().get("/api/v1/teams/" + id), 200);
    assertThat(unchanged.get("rate_limit").get("rpm").asInt()).isEqualTo(60);
    assertThat(unchanged.get("budget").get("limit_usd").decimalValue()).isEqualByComparingTo("10");
  }

  @Test
  void renamingATeamToADifferentCaseOfItsOwnNameIsAllowed() {
    String name = unique("case");
    String id = createTeam(name).get("id").stringValue();

    JsonNode patched = assertStatus(admin().patch("/api/v1/teams/" + id, """
        {"name": "%s"}""".formatted(name.toUpperCase())), 200);

    assertThat(patched.get("name").stringValue()).isEqualTo(name.toUpperCase());
  }

  @Test
  void deletesATeam() {
    String id = createTeam(unique("gone")).get("id").stringValue();

    assertStatus(admin().delete("/api/v1/teams/" + id), 204);

    assertApiError(admin().get("/api/v1/teams/" + id), 404, null);
    assertThat(jdbc.sql("SELECT count(*) FROM teams WHERE id = ?").param(UUID.fromString(id)).query(Long.class)
        .single()).isZero();
  }

  @Test
  void refusesToDeleteATeamWithActiveKeysNamingThem() {
    String id = createTeam(unique("busy")).get("id").stringValue();
    String firstKey = unique("key-one");
    String secondKey = unique("key-two");
    String firstId = createKey(id, firstKey).get("id").stringValue();
    String secondId = createKey(id, secondKey).get("id").stringValue();

    var error = assertApiError(admin().delete("/api/v1/teams/" + id), 409, "id");

    assertThat(message(error)).contains(firstKey, secondKey);
    assertStatus(admin().get("/api/v1/teams/" + id), 200);

    assertStatus(admin().delete("/api/v1/virtual-keys/" + firstId), 204);
    assertStatus(admin().delete("/api/v1/virtual-keys/" + secondId), 204);
    assertStatus(admin().delete("/api/v1/teams/" + id), 204);
    assertApiError(admin().get("/api/v1/teams/" + id), 404, null);
  }

  @Test
  void answers404ForAnUnknownId() {
    String unknown = "/api/v1/teams/" + UUID.randomUUID();

    assertApiError(admin().get(unknown), 404, null);
    assertApiError(admin().patch(unknown, "{\"description\": \"x\"}"), 404, null);
    assertApiError(admin().delete(unknown), 404, null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"not-a-uuid", "123", "0000000-0000-0000-0000-00000000000z"})
  void answers404ForAMalformedId(String id) {
    assertApiError(admin().get("/api/v1/teams/" + id), 404, null);
    assertApiError(admin().patch("/api/v1/teams/" + id, "{\"description\": \"x\"}"), 404, null);
    assertApiError(admin().delete("/api/v1/teams/" + id), 404, null);
  }

  private String teamWithLimits(String name) {
    return assertStatus(admin().post("/api/v1/teams", """
        {"name": "%s", "description": "with limits", "budget": {"limit_usd": 10, "period": "daily"},
         "rate_limit": {"rpm": 60, "tpm": 5000}}""".formatted(name)), 201).get("id").stringValue();
  }

  private long limitRows(String teamId) {
    UUID id = UUID.fromString(teamId);
    return jdbc.sql("SELECT (SELECT count(*) FROM budgets WHERE scope_type = 'team' AND scope_id = ?) "
        + "+ (SELECT count(*) FROM rate_limits WHERE scope_type = 'team' AND scope_id = ?)")
        .params(id, id).query(Long.class).single();
  }
}
