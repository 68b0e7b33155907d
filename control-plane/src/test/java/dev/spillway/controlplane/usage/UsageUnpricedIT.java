package dev.spillway.controlplane.usage;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.usage.UsageLine.batch;
import static dev.spillway.controlplane.usage.UsageLine.event;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Models that served requests without a price: listed by {@code GET /api/v1/usage/unpriced} and on the usage page,
 * counted in the usage totals, and visible only to those who may read the team.
 */
class UsageUnpricedIT extends ControlPlaneIntegrationTest {
  private static String teamA;
  private static String teamB;
  private static String modelA;
  private static String modelB;
  private static Instant lastHour;

  @BeforeEach
  void recordUsage() {
    if (teamA != null) {
      return;
    }
    teamA = createTeam(unique("unpriced-a")).get("id").stringValue();
    teamB = createTeam(unique("unpriced-b")).get("id").stringValue();
    modelA = unique("model-a");
    modelB = unique("model-b");
    String keyA = createKey(teamA, "a").get("id").stringValue();
    String keyB = createKey(teamB, "b").get("id").stringValue();
    String p = unique("req");
    lastHour = Instant.now().truncatedTo(ChronoUnit.HOURS);
    Instant earlier = lastHour.minus(Duration.ofDays(3));
    assertStatus(node().send("POST", "/internal/v1/usage", "application/x-ndjson", batch(
        event(p + "-1", earlier).key(teamA, keyA).model("acme", modelA).unpriced().tokens(10, 20),
        event(p + "-2", lastHour).key(teamA, keyA).model("acme", modelA).unpriced().tokens(1, 2),
        event(p + "-3", lastHour).key(teamA, keyA).model("openai", "gpt-4o-mini").cost("0.5"),
        event(p + "-4", lastHour).key(teamB, keyB).model("acme", modelB).unpriced().tokens(5, 5),
        // Older than the list's 30 days: not listed.
        event(p + "-5", lastHour.minus(Duration.ofDays(40))).key(teamA, keyA).model("acme", modelA + "-old")
            .unpriced())), 200);
  }

  private static List<String> models(JsonNode answer) {
    return answer.get("data").valueStream().map(m -> m.get("model").stringValue()).toList();
  }

  private static JsonNode entry(JsonNode answer, String model) {
    return answer.get("data").valueStream().filter(m -> m.get("model").stringValue().equals(model)).findFirst()
        .orElseThrow(() -> new AssertionError(model + " not in " + answer));
  }

  @Test
  void listsTheModelsUsedWithoutAPriceInTheLast30Days() {
    JsonNode answer = assertStatus(admin().get("/api/v1/usage/unpriced"), 200);

    JsonNode a = entry(answer, modelA);
    assertThat(a.get("provider").stringValue()).isEqualTo("acme");
    assertThat(a.get("requests").asLong()).isEqualTo(2);
    assertThat(a.get("input_tokens").asLong()).isEqualTo(11);
    assertThat(a.get("output_tokens").asLong()).isEqualTo(22);
    assertThat(Instant.parse(a.get("last_seen").stringValue())).isEqualTo(lastHour);
    assertThat(entry(answer, modelB).get("requests").asLong()).isEqualTo(1);
    assertThat(models(answer)).doesNotContain(modelA + "-old", "gpt-4o-mini");
    assertThat(models(assertStatus(admin().get("/api/v1/usage/unpriced?team_id=" + teamB), 200)))
        .containsExactly(modelB);
  }

  @Test
  void countsUnpricedRequestsInTheUsageTotals() {
    JsonNode totals = assertStatus(admin().get("/api/v1/usage?team_id=" + teamA), 200).get("totals");

    assertThat(totals.get("requests").asLong()).isEqualTo(4);
    assertThat(totals.get("unpriced_requests").asLong()).isEqualTo(3);
    assertThat(totals.get("spend_usd").decimalValue()).isEqualByComparingTo("0.5");
  }

  @Test
  void aTeamMemberSeesOnlyItsOwnTeams() {
    String teamAdminA = createApiToken("team_admin", teamA);
    String teamViewerB = createApiToken("viewer", teamB);

    assertThat(models(assertStatus(bearer(teamAdminA).get("/api/v1/usage/unpriced"), 200)))
        .contains(modelA).doesNotContain(modelB);
    assertThat(models(assertStatus(bearer(teamViewerB).get("/api/v1/usage/unpriced"), 200)))
        .containsExactly(modelB);
    assertApiError(bearer(teamAdminA).get("/api/v1/usage/unpriced?team_id=" + teamB), 403, null);
    assertApiError(bearer(teamAdminA).get("/api/v1/usage/unpriced?team_id=nope"), 400, "team_id");
    assertApiError(anonymous().get("/api/v1/usage/unpriced"), 401, null);
  }

  @Test
  void theUsagePageListsUnpricedModelsWithANote() {
    var admin = signInAs(ADMIN_EMAIL);

    String pageA = admin.get("/usage?team=" + teamA).text();
    String pageB = admin.get("/usage?team=" + teamB).text();
    String emptyTeam = admin.get("/usage?team=" + createTeam(unique("no-usage")).get("id").stringValue()).text();

    assertThat(pageA).contains("data-testid=\"unpriced-models\"", modelA,
        "No price: cost recorded as $0 until a price is set").doesNotContain(modelB);
    assertThat(pageB).contains(modelB).doesNotContain(modelA);
    assertThat(emptyTeam).doesNotContain("data-testid=\"unpriced-models\"");
  }
}
