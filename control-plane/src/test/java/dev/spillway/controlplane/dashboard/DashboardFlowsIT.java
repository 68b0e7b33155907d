package dev.spillway.controlplane.dashboard;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import dev.spillway.controlplane.DashboardSession;
import dev.spillway.controlplane.usage.UsageLine;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The dashboard's pages and actions over HTTP, as a signed-in org admin: each change goes through the same services
 * as the API (same validation, same snapshot bump) and is audited with the signed-in user.
 */
class DashboardFlowsIT extends ControlPlaneIntegrationTest {
  private static final Pattern SECRET = Pattern.compile("data-testid=\"secret\">(sk-sw-[0-9A-Za-z]+)<");
  private static FakeProvider upstream;
  private static DashboardSession admin;

  @BeforeAll
  static void startUpstream() {
    upstream = FakeProvider.start();
  }

  @AfterAll
  static void stopUpstream() {
    upstream.close();
  }

  @BeforeEach
  void signIn() {
    if (admin == null) {
      admin = signInAs(ADMIN_EMAIL);
    }
  }

  @Test
  void theSameUrlAnswersAPageOrAnHtmxFragment() {
    createTeam(unique("frag"));

    ApiResponse page = admin.get("/teams?sort=name&dir=desc");
    ApiResponse fragment = admin.get("/teams?sort=name&dir=desc", "HX-Request", "true");

    assertThat(page.text()).contains("<html").contains("id=\"table\"").contains("hx-headers");
    assertThat(fragment.status()).isEqualTo(200);
    assertThat(fragment.text()).doesNotContain("<html").contains("id=\"table\"").contains("aria-sort=\"descending\"");
    assertThat(fragment.header("Vary")).contains("HX-Request");
  }

  @Test
  void tablesFilterAndPage() {
    String prefix = unique("pg");
    for (int i = 0; i < 23; i++) {
      createTeam(prefix + "-" + (char) ('a' + i));
    }

    ApiResponse first = admin.get("/teams?q=" + prefix + "&sort=name", "HX-Request", "true");
    ApiResponse second = admin.get("/teams?q=" + prefix + "&sort=name&page=2", "HX-Request", "true");

    assertThat(first.text()).contains("1–20 of 23").contains(prefix + "-a").doesNotContain(prefix + "-w<");
    assertThat(second.text()).contains("21–23 of 23").contains(prefix + "-w").doesNotContain(prefix + "-a<");
  }

  @Test
  void creatingATeamWithAnInvalidNameShowsTheErrorNextToTheField() {
    ApiResponse response = admin.post("/teams", Map.of("name", "  "), "HX-Request", "true");

    assertThat(response.status()).isEqualTo(422);
    assertThat(response.text()).contains("id=\"error-name\"").contains("is required").doesNotContain("<html");
  }

  @Test
  void aKeyIsCreatedItsSecretShownOnceAndItWorksInTheSnapshot() {
    String teamId = createTeam(unique("keys")).get("id").stringValue();

    ApiResponse created = admin.post("/virtual-keys", Map.of("teamId", teamId, "name", "notebook",
        "limitUsd", "12.5", "period", "weekly", "rpm", "60"));

    assertThat(created.status()).isEqualTo(302);
    String keyPage = admin.location(created);
    ApiResponse first = admin.getAbsolute(keyPage);
    Matcher m = SECRET.matcher(first.text());
    assertThat(m.find()).as(first.describe()).isTrue();
    String secret = m.group(1);
    ApiResponse again = admin.getAbsolute(keyPage);
    assertThat(again.text()).doesNotContain(secret).doesNotContain("data-testid=\"secret\"");
    String keyId = keyPage.substring(keyPage.lastIndexOf('/') + 1);
    JsonNode key = assertStatus(admin().get("/api/v1/virtual-keys/" + keyId), 200);
    assertThat(key.get("budget").get("limit_usd").decimalValue()).isEqualByComparingTo("12.5");
    assertThat(key.get("rate_limit").get("rpm").asInt()).isEqualTo(60);
    assertThat(jdbc.sql("SELECT key_hash FROM virtual_keys WHERE id = ?::uuid").param(keyId).query(String.class)
        .single()).isEqualTo(sha256Hex(secret));
    assertAuditedByAdmin("virtual_key.create", keyId);
  }

  @Test
  void aKeyFormWithABadBudgetShowsTheFieldError() {
    String teamId = createTeam(unique("badkey")).get("id").stringValue();

    ApiResponse response = admin.post("/virtual-keys", Map.of("teamId", teamId, "name", "x", "limitUsd", "lots"));

    assertThat(response.status()).isEqualTo(422);
    assertThat(response.text()).contains("id=\"error-budget-limit_usd\"").contains("must be a number");
  }

  @Test
  void editingRotatingAndRevokingAKey() {
    String teamId = createTeam(unique("rot")).get("id").stringValue();
    String keyId = createKey(teamId, "rotate-me").get("id").stringValue();

    ApiResponse saved = admin.post("/virtual-keys/" + keyId, Map.of("name", "rotate-me", "limitUsd", "3",
        "period", "daily", "models", "demo, other"), "HX-Request", "true");
    assertThat(saved.status()).isEqualTo(200);
    assertThat(saved.text()).contains("data-testid=\"saved\"").contains("hx-swap-oob=\"true\"")
        .contains("$3.00 daily");
    JsonNode key = assertStatus(admin().get("/api/v1/virtual-keys/" + keyId), 200);
    assertThat(key.get("models").valueStream().map(JsonNode::stringValue)).containsExactly("demo", "other");

    ApiResponse rotated = admin.post("/virtual-keys/" + keyId + "/rotate", Map.of("graceSeconds", "0"));
    String newPage = admin.location(rotated);
    assertThat(newPage).doesNotEndWith(keyId);
    assertThat(admin.getAbsolute(newPage).text()).contains("data-testid=\"secret\"").contains("rotated");
    assertThat(assertStatus(admin().get("/api/v1/virtual-keys/" + keyId), 200).get("status").stringValue())
        .isEqualTo("revoked");

    String newId = newPage.substring(newPage.lastIndexOf('/') + 1);
    ApiResponse revoked = admin.post("/virtual-keys/" + newId + "/revoke", Map.of(), "HX-Request", "true");
    assertThat(revoked.header("HX-Redirect")).isEqualTo("/virtual-keys/" + newId);
    assertThat(assertStatus(admin().get("/api/v1/virtual-keys/" + newId), 200).get("status").stringValue())
        .isEqualTo("revoked");
    assertAuditedByAdmin("virtual_key.revoke", newId);
  }

  @Test
  void aTeamBudgetSetInTheDashboardShowsWithItsRecordedSpend() {
    String teamId = createTeam(unique("spend")).get("id").stringValue();
    String keyId = createKey(teamId, "spender").get("id").stringValue();
    ApiResponse limits = admin.post("/teams/" + teamId + "/limits", Map.of("limitUsd", "10", "period", "monthly"),
        "HX-Request", "true");
    assertThat(limits.text()).contains("$0.00 of $10.00 monthly");
    // Usage as nodes will record it: 2.5 USD this month shows as a quarter of the budget.
    jdbc.sql("""
        INSERT INTO usage_hourly (hour, org_id, team_id, key_id, provider, model, requests, cost_usd)
        VALUES (?, '00000000-0000-0000-0000-000000000001', ?::uuid, ?::uuid, 'mock', 'mock-1', 5, 2.5)""")
        .params(Timestamp.from(Instant.now().truncatedTo(ChronoUnit.HOURS)), teamId, keyId).update();

    ApiResponse budgets = admin.get("/budgets");

    assertThat(budgets.text()).contains("$2.50 of $10.00 monthly").contains("aria-valuenow=\"25\"");
    ApiResponse csv = admin.get("/usage.csv?group=team&team=" + teamId);
    assertThat(csv.header("Content-Type")).startsWith("text/csv");
    assertThat(csv.text().lines().toList()).hasSize(2);
    assertThat(csv.text().lines().skip(1).findFirst().orElseThrow()).startsWith(teamId + ",").contains(",5,")
        .contains("2.5");
  }

  @Test
  void aTeamsCacheSettingsSetInTheDashboardReachTheApiAndLeaveItsLimitsAlone() {
    String teamId = createTeam(unique("caching")).get("id").stringValue();
    admin.post("/teams/" + teamId + "/limits", Map.of("limitUsd", "10", "period", "monthly"), "HX-Request", "true");

    ApiResponse saved = admin.post("/teams/" + teamId + "/cache", Map.of("mode", "semantic", "threshold", "0.9",
        "ttlSeconds", "600", "_shadow", "on", "shadow", "true"), "HX-Request", "true");

    assertThat(saved.status()).isEqualTo(200);
    assertThat(saved.text()).contains("Saved.").contains("value=\"0.9\"");
    JsonNode team = assertStatus(admin().get("/api/v1/teams/" + teamId), 200);
    assertThat(team.get("cache").get("mode").stringValue()).isEqualTo("semantic");
    assertThat(team.get("cache").get("threshold").doubleValue()).isEqualTo(0.9);
    assertThat(team.get("cache").get("ttl_seconds").intValue()).isEqualTo(600);
    assertThat(team.get("cache").get("shadow").booleanValue()).isTrue();
    assertThat(team.get("budget").get("limit_usd").decimalValue()).isEqualByComparingTo("10");

    ApiResponse bad = admin.post("/teams/" + teamId + "/cache", Map.of("mode", "semantic", "threshold", "1.5",
        "ttlSeconds", "forever"), "HX-Request", "true");
    assertThat(bad.status()).isEqualTo(422);
    assertThat(bad.text()).contains("must be a whole number");
    ApiResponse range = admin.post("/teams/" + teamId + "/cache", Map.of("mode", "semantic", "threshold", "1.5"),
        "HX-Request", "true");
    assertThat(range.status()).isEqualTo(422);
    assertThat(range.text()).contains("threshold");

    ApiResponse off = admin.post("/teams/" + teamId + "/cache", Map.of("mode", "off", "_shadow", "on"),
        "HX-Request", "true");
    assertThat(off.status()).isEqualTo(200);
    assertThat(assertStatus(admin().get("/api/v1/teams/" + teamId), 200).get("cache").isNull()).isTrue();
  }

  @Test
  void aTeamsRequestLogSettingsSetInTheDashboardReachTheApiWithPatternErrorsOnTheirLine() {
    String teamId = createTeam(unique("logging")).get("id").stringValue();
    admin.post("/teams/" + teamId + "/cache", Map.of("mode", "exact"), "HX-Request", "true");

    ApiResponse saved = admin.post("/teams/" + teamId + "/logging", Map.of("content", "full", "retentionDays", "14",
        "redact", "ACME-\\d{6}\r\n\r\n  order-[0-9]+  "), "HX-Request", "true");

    assertThat(saved.status()).as(saved.describe()).isEqualTo(200);
    assertThat(saved.text()).contains("Saved.").contains("value=\"14\"").contains("<option value=\"full\" selected");
    JsonNode team = assertStatus(admin().get("/api/v1/teams/" + teamId), 200);
    assertThat(team.get("logging").get("content").stringValue()).isEqualTo("full");
    assertThat(team.get("logging").get("retention_days").intValue()).isEqualTo(14);
    assertThat(team.get("logging").get("redact").valueStream().map(JsonNode::stringValue))
        .containsExactly("ACME-\\d{6}", "order-[0-9]+");
    assertThat(team.get("cache").get("mode").stringValue()).isEqualTo("exact");

    ApiResponse bad = admin.post("/teams/" + teamId + "/logging", Map.of("content", "redacted",
        "redact", "fine\n\n(unclosed"), "HX-Request", "true");
    assertThat(bad.status()).isEqualTo(422);
    assertThat(bad.text()).contains("line 3 is not a regular expression");
    ApiResponse days = admin.post("/teams/" + teamId + "/logging", Map.of("retentionDays", "forever"),
        "HX-Request", "true");
    assertThat(days.status()).isEqualTo(422);
    assertThat(days.text()).contains("must be a whole number");
    assertThat(assertStatus(admin().get("/api/v1/teams/" + teamId), 200).get("logging").get("content")
        .stringValue()).isEqualTo("full");

    ApiResponse cleared = admin.post("/teams/" + teamId + "/logging", Map.of("content", "none"), "HX-Request",
        "true");
    assertThat(cleared.status()).isEqualTo(200);
    assertThat(assertStatus(admin().get("/api/v1/teams/" + teamId), 200).get("logging").isNull()).isTrue();
  }

  @Test
  void aTeamAdminChoosesNoneOrRedactedButNotFull() {
    String teamId = createTeam(unique("logging-ta")).get("id").stringValue();
    String email = unique("logging-admin") + "@example.com";
    String userId = assertStatus(admin().post("/api/v1/users", "{\"email\": \"" + email + "\"}"), 201)
        .get("id").stringValue();
    assertStatus(admin().post("/api/v1/teams/" + teamId + "/members", """
        {"user_id": "%s", "role": "team_admin"}""".formatted(userId)), 201);
    DashboardSession teamAdmin = signInAs(email);

    assertThat(teamAdmin.get("/teams/" + teamId).text()).contains("data-testid=\"save-logging\"")
        .doesNotContain("<option value=\"full\"");
    long version = configVersion();
    ApiResponse full = teamAdmin.post("/teams/" + teamId + "/logging", Map.of("content", "full"), "HX-Request",
        "true");
    assertThat(full.status()).isEqualTo(403);
    assertThat(configVersion()).isEqualTo(version);

    ApiResponse redacted = teamAdmin.post("/teams/" + teamId + "/logging", Map.of("content", "redacted",
        "retentionDays", "7"), "HX-Request", "true");

    assertThat(redacted.status()).isEqualTo(200);
    JsonNode team = assertStatus(admin().get("/api/v1/teams/" + teamId), 200);
    assertThat(team.get("logging").get("content").stringValue()).isEqualTo("redacted");
    JsonNode audit = assertStatus(admin().get("/api/v1/audit-events?action=team.update&resource_id=" + teamId),
        200).get("data").get(0);
    assertThat(audit.get("actor").get("name").stringValue()).isEqualTo(email);
  }

  @Test
  void budgetAlertsAndRefusalsShowNextToTheBudgetsAndTheUsage() {
    String teamName = unique("alerting");
    UUID team = UUID.fromString(createTeam(teamName).get("id").stringValue());
    assertStatus(admin().patch("/api/v1/teams/" + team, """
        {"budget": {"limit_usd": 2, "period": "monthly"}}"""), 200);
    String keyName = unique("alerted");
    UUID key = UUID.fromString(assertStatus(admin().post("/api/v1/virtual-keys", """
        {"name": "%s", "team_id": "%s", "budget": {"limit_usd": 1, "period": "monthly"}}"""
        .formatted(keyName, team)), 201).get("id").stringValue());
    Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS);
    String p = unique("dash");
    // 85 % of the key's budget (50 and 80 % fire), 42.5 % of the team's; two refusals and one shadow refusal.
    assertStatus(node().send("POST", "/internal/v1/usage", "application/x-ndjson", UsageLine.batch(
        UsageLine.event(p + "-spend", hour).key(team, key).cost("0.85"),
        UsageLine.event(p + "-budget", hour.plusSeconds(1)).key(team, key).model(null, null)
            .refused("budget_exceeded"),
        UsageLine.event(p + "-rpm", hour.plusSeconds(2)).key(team, key).model(null, null)
            .refused("rate_limit_exceeded"),
        UsageLine.event(p + "-shadow", hour.plusSeconds(3)).key(team, key).shadowRefusal("rate_limit: key rpm 1"))),
        200);
    eventually().until(() -> jdbc.sql("SELECT count(*) FROM budget_alerts WHERE scope_id = ? "
        + "AND delivery_state = 'delivered'").param(key).query(Long.class).single() == 2);

    String keyPage = admin.get("/virtual-keys/" + key).text();
    assertThat(alertList(keyPage)).contains(">50 %<").contains(">80 %<").doesNotContain(">100 %<")
        .contains("($0.8500 spent)").contains("webhook: delivered");
    String budgets = admin.get("/budgets").text();
    String keyRow = budgets.substring(budgets.indexOf(keyName));
    assertThat(alertList(keyRow)).contains(">50 %<").contains(">80 %<");
    assertThat(alertList(admin.get("/teams/" + team).text())).isNull();
    String overview = admin.get("/").text();
    assertThat(overview).contains("data-testid=\"latest-alerts\"").contains("key &#39;" + keyName
        + "&#39; monthly budget $1.00 at 80 % ($0.8500 spent)");
    assertThat(overview).containsPattern("data-testid=\"stat-refusals-text\"[^>]*>refused: [0-9,]+ · would refuse "
        + "\\(shadow\\): [0-9,]+<");
    String usage = admin.get("/usage?team=" + team).text();
    assertThat(usage).contains(">refused: 2 · would refuse (shadow): 1<");

    // The team reaches half its budget: its page shows that alert.
    assertStatus(node().send("POST", "/internal/v1/usage", "application/x-ndjson", UsageLine.batch(
        UsageLine.event(p + "-more", hour.plusSeconds(4)).key(team, key).cost("0.2"))), 200);
    eventually().until(() -> alertList(admin.get("/teams/" + team).text()) != null);
    assertThat(alertList(admin.get("/teams/" + team).text())).contains(">50 %<").contains("($1.05 spent)");
  }

  /** The first list of budget alerts in the page, or null. */
  private static String alertList(String html) {
    int start = html.indexOf("data-testid=\"budget-alerts\"");
    return start < 0 ? null : html.substring(start, html.indexOf("</ul>", start));
  }

  @Test
  void limitFormsSetShadowModeAndFailOpenAndEveryListShowsThem() {
    String teamName = unique("shadow");
    String teamId = createTeam(teamName).get("id").stringValue();

    // As a browser posts the form with both boxes unticked: the markers, not the boxes.
    ApiResponse saved = admin.post("/teams/" + teamId + "/limits", Map.of("limitUsd", "10", "period", "monthly",
        "_enforceBudget", "on", "onUnreachable", "fail_open", "rpm", "60", "_enforceRateLimit", "on"),
        "HX-Request", "true");

    assertThat(saved.status()).as(saved.describe()).isEqualTo(200);
    assertThat(saved.text()).contains("$0.00 of $10.00 monthly · shadow · fails open");
    assertThat(checkbox(saved.text(), "limit-enforce")).doesNotContain("checked");
    assertThat(checkbox(saved.text(), "limit-rate-enforce")).doesNotContain("checked");
    assertThat(saved.text()).containsPattern("<option value=\"fail_open\" selected=\"selected\">");
    JsonNode team = assertStatus(admin().get("/api/v1/teams/" + teamId), 200);
    assertThat(team.get("budget").get("enforce").booleanValue()).isFalse();
    assertThat(team.get("budget").get("on_unreachable").stringValue()).isEqualTo("fail_open");
    assertThat(team.get("rate_limit").get("enforce").booleanValue()).isFalse();
    assertThat(admin.get("/budgets").text()).contains("$0.00 of $10.00 monthly · shadow · fails open")
        .contains("60 rpm · shadow");
    assertThat(admin.get("/teams?q=" + teamName).text()).contains("60 rpm · shadow");

    ApiResponse ticked = admin.post("/teams/" + teamId + "/limits", Map.of("limitUsd", "10", "period", "monthly",
        "enforceBudget", "true", "_enforceBudget", "on", "onUnreachable", "fail_closed", "rpm", "60",
        "enforceRateLimit", "true", "_enforceRateLimit", "on"), "HX-Request", "true");
    assertThat(checkbox(ticked.text(), "limit-enforce")).contains("checked");
    assertThat(ticked.text()).contains("$0.00 of $10.00 monthly<").doesNotContain("· shadow");
    team = assertStatus(admin().get("/api/v1/teams/" + teamId), 200);
    assertThat(team.get("budget").get("enforce").booleanValue()).isTrue();
    assertThat(team.get("budget").get("on_unreachable").stringValue()).isEqualTo("fail_closed");
    assertThat(team.get("rate_limit").get("enforce").booleanValue()).isTrue();

    ApiResponse created = admin.post("/virtual-keys", Map.of("teamId", teamId, "name", "shadow-key",
        "limitUsd", "5", "period", "daily", "_enforceBudget", "on", "onUnreachable", "fail_closed",
        "maxConcurrent", "4", "_enforceRateLimit", "on"));
    assertThat(created.status()).as(created.describe()).isEqualTo(302);
    String keyPage = admin.location(created);
    String keyId = keyPage.substring(keyPage.lastIndexOf('/') + 1);
    JsonNode key = assertStatus(admin().get("/api/v1/virtual-keys/" + keyId), 200);
    assertThat(key.get("budget").get("enforce").booleanValue()).isFalse();
    assertThat(key.get("rate_limit").get("enforce").booleanValue()).isFalse();
    String detail = admin.getAbsolute(keyPage).text();
    assertThat(detail).contains("$0.00 of $5.00 daily · shadow").contains("4 concurrent · shadow");
    assertThat(checkbox(detail, "key-enforce")).doesNotContain("checked");
    assertThat(admin.get("/teams/" + teamId).text()).contains("$5.00 daily · shadow");

    // A post that does not know the fields (no boxes, no markers) leaves the limits enforced.
    admin.post("/virtual-keys/" + keyId, Map.of("name", "shadow-key", "limitUsd", "5", "period", "daily",
        "onUnreachable", "fail_open", "maxConcurrent", "4"), "HX-Request", "true");
    key = assertStatus(admin().get("/api/v1/virtual-keys/" + keyId), 200);
    assertThat(key.get("budget").get("enforce").booleanValue()).isTrue();
    assertThat(key.get("budget").get("on_unreachable").stringValue()).isEqualTo("fail_open");
    assertThat(key.get("rate_limit").get("enforce").booleanValue()).isTrue();
  }

  @Test
  void anUnknownOnUnreachableFromTheFormIsShownNextToTheSelect() {
    String teamId = createTeam(unique("bad-mode")).get("id").stringValue();

    ApiResponse response = admin.post("/teams/" + teamId + "/limits", Map.of("limitUsd", "10",
        "onUnreachable", "sometimes"), "HX-Request", "true");

    assertThat(response.status()).isEqualTo(422);
    assertThat(response.text()).contains("id=\"error-budget-on_unreachable\"")
        .contains("must be fail_closed or fail_open (got &#39;sometimes&#39;)");
  }

  @Test
  void theOrganisationFormSetsItsModes() {
    JsonNode before = assertStatus(admin().get("/api/v1/org"), 200);
    try {
      ApiResponse saved = admin.post("/budgets/org", Map.of("limitUsd", "900", "period", "monthly",
          "enforceBudget", "true", "_enforceBudget", "on", "onUnreachable", "fail_open", "tpm", "5000",
          "_enforceRateLimit", "on"), "HX-Request", "true");

      assertThat(saved.status()).as(saved.describe()).isEqualTo(200);
      assertThat(saved.text()).contains("$900.00 monthly · fails open").contains("5,000 tpm · shadow");
      JsonNode org = assertStatus(admin().get("/api/v1/org"), 200);
      assertThat(org.get("budget").get("enforce").booleanValue()).isTrue();
      assertThat(org.get("budget").get("on_unreachable").stringValue()).isEqualTo("fail_open");
      assertThat(org.get("rate_limit").get("enforce").booleanValue()).isFalse();
      // Renaming the organisation in Settings keeps its limits' modes.
      admin.post("/settings/org", Map.of("name", before.get("name").stringValue()), "HX-Request", "true");
      assertThat(assertStatus(admin().get("/api/v1/org"), 200).get("rate_limit").get("enforce").booleanValue())
          .isFalse();
    } finally {
      assertStatus(admin().put("/api/v1/org", """
          {"name": %s, "budget": %s, "rate_limit": %s}""".formatted(before.get("name"),
          before.path("budget").isMissingNode() ? "null" : before.get("budget"),
          before.path("rate_limit").isMissingNode() ? "null" : before.get("rate_limit"))), 200);
    }
  }

  /** The {@code <input>} tag with this id. */
  private static String checkbox(String html, String id) {
    Matcher m = Pattern.compile("<input id=\"" + id + "\"[^>]*>").matcher(html);
    assertThat(m.find()).as("no input #" + id).isTrue();
    return m.group();
  }

  @Test
  void providerKeysAreWriteOnlyAndTheConnectionTestCallsTheProvider() {
    String name = unique("prov");
    String keyValue = "sk-upstream-" + UUID.randomUUID().toString().replace("-", "");
    upstream.enqueue(FakeResponse.raw(200, "application/json", "{\"object\":\"list\",\"data\":[{\"id\":\"m1\"},"
        + "{\"id\":\"m2\"}]}"));
    ApiResponse created = admin.postPairs("/providers", List.of("name", name, "type", "openai-compatible",
        "baseUrl", upstream.baseUrl(), "keyName", "primary", "keyValue", keyValue, "keyWeight", "1"));
    assertThat(created.status()).as(created.describe()).isEqualTo(302);
    String page = admin.location(created);
    String id = page.substring(page.lastIndexOf('/') + 1);

    ApiResponse edit = admin.getAbsolute(page);
    assertThat(edit.text()).doesNotContain(keyValue).contains("••••" + keyValue.substring(keyValue.length() - 4));

    ApiResponse test = admin.post("/providers/" + id + "/test", Map.of(), "HX-Request", "true");
    assertThat(test.text()).contains("Connection works").contains("2 models").doesNotContain(keyValue);
    assertThat(upstream.lastRequest().header("Authorization")).isEqualTo("Bearer " + keyValue);
    assertThat(upstream.lastRequest().uri()).isEqualTo("/v1/models");

    upstream.enqueue(FakeResponse.error(401, "Incorrect API key provided: " + keyValue));
    ApiResponse refused = admin.post("/providers/" + id + "/test", Map.of(), "HX-Request", "true");
    assertThat(refused.text()).contains("refused the key").doesNotContain(keyValue);

    // Saving with an empty value keeps the stored key.
    ApiResponse saved = admin.postPairs("/providers/" + id, List.of("name", name, "type", "openai-compatible",
        "baseUrl", upstream.baseUrl(), "keyName", "primary", "keyValue", "", "keyWeight", "2"));
    assertThat(saved.status()).isEqualTo(302);
    upstream.enqueue(FakeResponse.raw(200, "application/json", "{\"data\":[]}"));
    admin.post("/providers/" + id + "/test", Map.of(), "HX-Request", "true");
    assertThat(upstream.lastRequest().header("Authorization")).isEqualTo("Bearer " + keyValue);
    assertAuditedByAdmin("provider.update", id);
  }

  @Test
  void routesAreCheckedAsYouType() {
    String provider = createMockProvider(unique("route-prov")).get("name").stringValue();

    ApiResponse bad = admin.postPairs("/routes/check", List.of("model", unique("r"), "targetProvider", "nope",
        "targetModel", "m", "targetWeight", "1"), "HX-Request", "true");
    assertThat(bad.text()).contains("targets[0].provider").contains("unknown provider &#39;nope&#39;");

    String model = unique("r");
    ApiResponse good = admin.postPairs("/routes/check", List.of("model", model, "targetProvider", provider,
        "targetModel", "m", "targetWeight", "1", "fallbackProvider", provider, "fallbackModel", "m2"),
        "HX-Request", "true");
    assertThat(good.text()).contains("valid");
    assertThat(admin().get("/api/v1/routes").text()).doesNotContain(model);

    ApiResponse created = admin.postPairs("/routes", List.of("model", model, "targetProvider", provider,
        "targetModel", "m", "targetWeight", "3", "targetProvider", "", "targetModel", "", "targetWeight", "1",
        "fallbackProvider", provider, "fallbackModel", "m2", "maxAttempts", "2", "initialBackoffMs", "100",
        "strategy", "least_busy"));
    assertThat(created.status()).isEqualTo(302);
    JsonNode route = assertStatus(admin().get("/api/v1/routes"), 200).get("data").valueStream()
        .filter(r -> r.get("model").stringValue().equals(model)).findFirst().orElseThrow();
    assertThat(route.get("targets").get(0).get("weight").asInt()).isEqualTo(3);
    assertThat(route.get("fallbacks").get(0).get("model").stringValue()).isEqualTo("m2");
    assertThat(route.get("strategy").stringValue()).isEqualTo("least_busy");
    // The list shows each route's strategy, and says when sessions do not stick (the checkbox was not sent).
    String list = admin.get("/routes?q=" + model).text();
    assertThat(list).contains("<code>least_busy</code>").contains("not sticky");
  }

  @Test
  void membersAreAddedByEmailAndEveryPageRenders() {
    String teamId = createTeam(unique("members")).get("id").stringValue();
    String email = unique("member") + "@example.com";
    ApiResponse unknown = admin.post("/teams/" + teamId + "/members", Map.of("email", email, "role", "viewer"),
        "HX-Request", "true");
    assertThat(unknown.status()).isEqualTo(422);
    assertThat(unknown.text()).contains("after their first sign-in");

    signInAs(email);
    ApiResponse added = admin.post("/teams/" + teamId + "/members", Map.of("email", email, "role", "team_admin"),
        "HX-Request", "true");
    assertThat(added.text()).contains(email).contains("Added");
    assertAuditedByAdmin("team_member.add", null);

    for (String page : List.of("/", "/?range=7d", "/teams", "/teams/" + teamId, "/virtual-keys", "/virtual-keys/new",
        "/providers", "/providers/new", "/routes", "/routes/new", "/routing-rules", "/budgets", "/usage", "/usage?group=day",
        "/usage?group=key", "/usage?group=model", "/nodes", "/audit", "/settings")) {
      ApiResponse response = admin.get(page);
      assertThat(response.status()).as(page).isEqualTo(200);
      assertThat(response.text()).as(page).contains("</html>").doesNotContain("Exception");
    }
  }

  @Test
  void theAuditPageListsDashboardChangesWithTheUser() {
    String name = unique("audited");
    admin.post("/teams", Map.of("name", name));

    ApiResponse audit = admin.get("/audit?action=team&actor=" + ADMIN_EMAIL, "HX-Request", "true");

    assertThat(audit.text()).contains("team.create").contains(ADMIN_EMAIL).contains(name);
  }

  @Test
  void theRoutePageShowsEachTargetsHealthAcrossTheFleetAndRefreshesIt() {
    String provider = unique("dash-health");
    assertStatus(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "openai", "keys": [{"name": "main", "value": "sk-1"}, {"name": "spare", "value": "sk-2"}]}"""
        .formatted(provider)), 201);
    String routeId = createRoute(unique("dash-health-route"), provider).get("id").stringValue();
    for (String breaker : new String[] {"open", "closed"}) {
      assertStatus(node().send("POST", "/internal/v1/nodes/heartbeat", "application/json", """
          {"node_id": "%s", "targets": [{"provider": "%s", "key": "main", "model": "upstream-1", "breaker": "%s",
           "error_rate": 0.25, "ewma_ttfb_ms": 140, "in_flight": 2, "remaining_requests": 7}]}"""
          .formatted(unique("dash-node"), provider, breaker)), 200);
    }

    ApiResponse page = admin.get("/routes/" + routeId);
    ApiResponse fragment = admin.get("/routes/" + routeId + "/health", "HX-Request", "true");

    assertThat(page.status()).isEqualTo(200);
    assertThat(page.text()).contains("data-testid=\"route-health\"").contains("hx-trigger=\"every 10s\"")
        .contains("</html>");
    for (ApiResponse r : List.of(page, fragment)) {
      String html = r.text();
      String mainRow = html.substring(html.indexOf("data-key=\"main\""));
      mainRow = mainRow.substring(0, mainRow.indexOf("</tr>"));
      assertThat(mainRow).contains("class=\"badge bad\"").contains(">open<").contains("1 / 0 / 1")
          .contains("25.0%").contains("140 ms").contains("7, —");
      String spareRow = html.substring(html.indexOf("data-key=\"spare\""));
      assertThat(spareRow.substring(0, spareRow.indexOf("</tr>"))).contains(">unknown<");
    }
    assertThat(fragment.text()).doesNotContain("</html>").contains("id=\"route-health\"");
  }

  @Test
  void theRouteFormSetsStrategyStickinessAndTheRetryCeilings() {
    String provider = createMockProvider(unique("dash-strategy")).get("name").stringValue();
    String model = unique("dash-strategy-route");

    ApiResponse created = admin.postPairs("/routes", List.of("model", model, "targetProvider", provider,
        "targetModel", "m", "targetWeight", "1", "maxAttempts", "2", "initialBackoffMs", "100",
        "maxBackoffMs", "1500", "maxRetryAfterMs", "20000", "deadlineMs", "8000", "strategy", "least_busy"));

    assertThat(created.status()).isEqualTo(302);
    JsonNode route = assertStatus(admin().get("/api/v1/routes"), 200).get("data").valueStream()
        .filter(r -> r.get("model").stringValue().equals(model)).findFirst().orElseThrow();
    assertThat(route.get("strategy").stringValue()).isEqualTo("least_busy");
    assertThat(route.get("sticky").booleanValue()).as("an unticked box").isFalse();
    assertThat(route.get("retry").get("max_backoff_ms").asLong()).isEqualTo(1500);
    assertThat(route.get("retry").get("max_retry_after_ms").asLong()).isEqualTo(20000);
    assertThat(route.get("retry").get("deadline_ms").asLong()).isEqualTo(8000);
    String form = admin.get("/routes/" + route.get("id").stringValue()).text();
    assertThat(form).containsPattern("<option value=\"least_busy\" selected=\"selected\">")
        .containsPattern("name=\"deadlineMs\" value=\"8000\"");

    ApiResponse bad = admin.postPairs("/routes/check", List.of("model", unique("r"), "targetProvider", provider,
        "targetModel", "m", "targetWeight", "1", "strategy", "fastest"), "HX-Request", "true");
    assertThat(bad.text()).contains("strategy: must be one of weighted, least_latency, least_busy, headroom");
  }

  @Test
  void routingRulesAreAddedListedAndDeletedFromTheirPage() {
    String provider = createMockProvider(unique("dash-rules")).get("name").stringValue();
    String route = unique("dash-rules-route");
    createRoute(route, provider);
    String name = unique("canary");

    ApiResponse created = admin.post("/routing-rules", Map.of("name", name, "priority", "3", "route", route,
        "headers", "X-Canary: 1", "keyMetadata", "tier=gold", "model", "gpt-*", "teamId", ""));

    assertThat(created.status()).isEqualTo(302);
    JsonNode rule = assertStatus(admin().get("/api/v1/routing-rules"), 200).get("data").valueStream()
        .filter(r -> r.get("name").stringValue().equals(name)).findFirst().orElseThrow();
    assertThat(rule.get("match").get("headers").get("x-canary").stringValue()).isEqualTo("1");
    assertThat(rule.get("match").get("key_metadata").get("tier").stringValue()).isEqualTo("gold");
    assertThat(admin.get("/routing-rules").text()).contains(name).contains("x-canary: 1").contains(route);
    assertAuditedByAdmin("routing_rule.create", rule.get("id").stringValue());

    ApiResponse noCondition = admin.post("/routing-rules", Map.of("name", unique("all"), "route", route));
    assertThat(noCondition.status()).isEqualTo(422);
    assertThat(noCondition.text()).contains("needs at least one condition");

    ApiResponse deleted = admin.post("/routing-rules/" + rule.get("id").stringValue() + "/delete", Map.of(),
        "HX-Request", "true");
    assertThat(deleted.header("HX-Redirect")).isEqualTo("/routing-rules");
    assertApiError(admin().get("/api/v1/routing-rules/" + rule.get("id").stringValue()), 404, null);
  }

  private void assertAuditedByAdmin(String action, String resourceId) {
    long count = jdbc.sql("SELECT count(*) FROM audit_events WHERE action = ? AND actor_type = 'user' AND "
            + "actor_name = ?" + (resourceId == null ? "" : " AND resource_id = ?"))
        .params(resourceId == null ? List.of(action, ADMIN_EMAIL) : List.of(action, ADMIN_EMAIL, resourceId))
        .query(Long.class).single();
    assertThat(count).as(action + " by " + ADMIN_EMAIL).isPositive();
  }
}
