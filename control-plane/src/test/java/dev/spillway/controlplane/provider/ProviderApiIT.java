package dev.spillway.controlplane.provider;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.SealedSecret;
import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/** {@code /api/v1/providers}: key values go in and never come out; names, types, URLs and settings are checked. */
class ProviderApiIT extends ControlPlaneIntegrationTest {

  @Test
  void createsAProviderWithKeysAndNeverAnswersWithTheirValues() {
    String name = unique("openai");
    String primary = "sk-primary-" + UUID.randomUUID();
    String backup = "sk-backup-" + UUID.randomUUID();

    ApiResponse created = admin().post("/api/v1/providers", """
        {"name": "%s", "type": "openai", "base_url": "https://llm.example.com/v1/",
         "keys": [{"name": "primary", "value": "%s", "weight": 3}, {"name": "backup", "value": "%s"}],
         "settings": {"organization": "org-1"}}""".formatted(name, primary, backup));

    JsonNode provider = assertStatus(created, 201);
    String id = provider.get("id").stringValue();
    assertThat(created.header("Location")).isEqualTo("/api/v1/providers/" + id);
    assertThat(provider.get("type").stringValue()).isEqualTo("openai");
    assertThat(provider.get("base_url").stringValue()).isEqualTo("https://llm.example.com/v1");
    assertThat(provider.get("settings").get("organization").stringValue()).isEqualTo("org-1");
    Map<String, JsonNode> keys = keysByName(provider);
    assertThat(keys).containsOnlyKeys("primary", "backup");
    assertThat(keys.get("primary").get("weight").asInt()).isEqualTo(3);
    assertThat(keys.get("backup").get("weight").asInt()).isEqualTo(1);
    assertThat(keys.get("primary").get("value_hint").stringValue()).isEqualTo(primary.substring(primary.length() - 4));
    assertThat(keys.get("primary").has("value")).isFalse();

    ApiResponse fetched = admin().get("/api/v1/providers/" + id);
    ApiResponse listed = admin().get("/api/v1/providers");
    assertStatus(fetched, 200);
    assertStatus(listed, 200);
    for (ApiResponse response : List.of(created, fetched, listed)) {
      assertThat(response.text()).as(response::describe).contains(name).doesNotContain(primary, backup);
    }
  }

  @Test
  void sealsKeyValuesAtRestUnderTheSecretKey() {
    String secret = "sk-at-rest-" + UUID.randomUUID();
    String id = createProvider(unique("sealed"), secret).get("id").stringValue();

    String sealed = sealedValue(id, "primary");

    assertThat(sealed).startsWith("v1.").doesNotContain(secret);
    assertThat(SealedSecret.atRest(SECRET_KEY).open(sealed, "provider:" + id + ":key:primary")).isEqualTo(secret);
  }

  @Test
  void patchChangingOnlyAWeightKeepsTheStoredKeyValue() {
    String id = assertStatus(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "anthropic",
         "keys": [{"name": "primary", "value": "sk-ant-%s"}, {"name": "backup", "value": "sk-ant-%s"}]}"""
        .formatted(unique("weights"), UUID.randomUUID(), UUID.randomUUID())), 201).get("id").stringValue();
    String primaryBefore = sealedValue(id, "primary");
    String backupBefore = sealedValue(id, "backup");

    JsonNode patched = assertStatus(admin().patch("/api/v1/providers/" + id, """
        {"keys": [{"name": "primary", "weight": 7}, {"name": "backup", "weight": 1}]}"""), 200);

    assertThat(keysByName(patched).get("primary").get("weight").asInt()).isEqualTo(7);
    assertThat(sealedValue(id, "primary")).isEqualTo(primaryBefore);
    assertThat(sealedValue(id, "backup")).isEqualTo(backupBefore);
  }

  @Test
  void patchWithoutKeysKeepsEveryKeyAndMergesSettings() {
    String secret = "sk-keep-" + UUID.randomUUID();
    String id = assertStatus(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "openai", "keys": [{"name": "primary", "value": "%s"}],
         "settings": {"organization": "org-1"}}""".formatted(unique("merge"), secret)), 201).get("id").stringValue();
    String sealedBefore = sealedValue(id, "primary");

    JsonNode patched = assertStatus(admin().patch("/api/v1/providers/" + id, """
        {"settings": {"project": "proj-9"}}"""), 200);

    assertThat(patched.get("settings").get("organization").stringValue()).isEqualTo("org-1");
    assertThat(patched.get("settings").get("project").stringValue()).isEqualTo("proj-9");
    assertThat(keysByName(patched)).containsOnlyKeys("primary");
    assertThat(sealedValue(id, "primary")).isEqualTo(sealedBefore);
  }

  @Test
  void patchReplacingAKeyValueSealsTheNewValue() {
    String id = createProvider(unique("replace"), "sk-old-" + UUID.randomUUID()).get("id").stringValue();
    String fresh = "sk-new-" + UUID.randomUUID();

    ApiResponse patched = admin().patch("/api/v1/providers/" + id, """
        {"keys": [{"name": "primary", "value": "%s"}]}""".formatted(fresh));

    assertStatus(patched, 200);
    assertThat(patched.text()).doesNotContain(fresh);
    assertThat(SealedSecret.atRest(SECRET_KEY).open(sealedValue(id, "primary"), "provider:" + id + ":key:primary"))
        .isEqualTo(fresh);
  }

  @Test
  void patchAddingAKeyWithoutValueIsRefused() {
    String id = createProvider(unique("newkey"), "sk-" + UUID.randomUUID()).get("id").stringValue();

    assertApiError(admin().patch("/api/v1/providers/" + id, """
        {"keys": [{"name": "primary"}, {"name": "another", "weight": 2}]}"""), 400, "keys[1].value");
  }

  @Test
  void refusesAnUnknownTypeListingTheKnownOnes() {
    var error = assertApiError(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "skynet"}""".formatted(unique("type"))), 400, "type");

    assertThat(message(error)).contains("skynet", "openai", "anthropic", "openai-compatible");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://llm.example.com/v1", "http://", "https:///v1", "https://user:pass@llm.example.com/v1",
      "https://llm.example.com/v1?key=1", "llm.example.com/v1", "https://exa mple.com"})
  void refusesABadBaseUrl(String baseUrl) {
    var error = assertApiError(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "openai", "base_url": "%s"}""".formatted(unique("url"), baseUrl)), 400, "base_url");

    assertThat(message(error)).doesNotContain("pass@");
  }

  @Test
  void requiresABaseUrlForOpenAiCompatible() {
    assertApiError(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "openai-compatible", "keys": [{"value": "k-%s"}]}"""
        .formatted(unique("compat"), UUID.randomUUID())), 400, "base_url");
  }

  @Test
  void refusesAnUnknownSettingNamingIt() {
    var error = assertApiError(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "openai", "settings": {"colour": "blue"}}""".formatted(unique("settings"))), 400,
        "settings.colour");

    assertThat(message(error)).contains("organization", "project");
  }

  @Test
  void refusesANameThatIsNotASlug() {
    assertApiError(admin().post("/api/v1/providers", """
        {"name": "Open AI", "type": "openai"}"""), 400, "name");
  }

  @Test
  void refusesADuplicateName() {
    String name = unique("twice");
    createMockProvider(name);

    var error = assertApiError(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "mock"}""".formatted(name)), 409, "name");

    assertThat(message(error)).contains(name);
  }

  @Test
  void refusesToDeleteAProviderThatARouteUsesNamingTheRoute() {
    String provider = unique("used");
    String fallbackOnly = unique("fallback");
    String id = createMockProvider(provider).get("id").stringValue();
    String fallbackId = createMockProvider(fallbackOnly).get("id").stringValue();
    String model = unique("route");
    String routeId = assertStatus(admin().post("/api/v1/routes", """
        {"model": "%s", "targets": [{"provider": "%s", "model": "m"}],
         "fallbacks": [{"provider": "%s", "model": "m"}]}""".formatted(model, provider, fallbackOnly)), 201)
        .get("id").stringValue();

    var error = assertApiError(admin().delete("/api/v1/providers/" + id), 409, "id");
    assertThat(message(error)).contains(model);
    var fallbackError = assertApiError(admin().delete("/api/v1/providers/" + fallbackId), 409, "id");
    assertThat(message(fallbackError)).contains(model);

    assertStatus(admin().delete("/api/v1/routes/" + routeId), 204);
    assertStatus(admin().delete("/api/v1/providers/" + id), 204);
    assertApiError(admin().get("/api/v1/providers/" + id), 404, null);
    assertThat(jdbc.sql("SELECT count(*) FROM provider_keys WHERE provider_id = ?").param(UUID.fromString(id))
        .query(Long.class).single()).isZero();
  }

  @Test
  void answers404ForUnknownAndMalformedIds() {
    for (String id : new String[] {UUID.randomUUID().toString(), "nope"}) {
      assertApiError(admin().get("/api/v1/providers/" + id), 404, null);
      assertApiError(admin().patch("/api/v1/providers/" + id, "{}"), 404, null);
      assertApiError(admin().delete("/api/v1/providers/" + id), 404, null);
    }
  }

  private String sealedValue(String providerId, String keyName) {
    return jdbc.sql("SELECT value_sealed FROM provider_keys WHERE provider_id = ? AND name = ?")
        .params(UUID.fromString(providerId), keyName).query(String.class).single();
  }

  private static Map<String, JsonNode> keysByName(JsonNode provider) {
    return provider.get("keys").valueStream().collect(Collectors.toMap(k -> k.get("name").stringValue(), k -> k));
  }

  @Test
  void breakerSettingsRoundTripWithDefaultsForAbsentFieldsAndNullResetsThem() {
    JsonNode created = assertStatus(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "mock", "breaker": {"consecutive_failures": 3, "open_ms": 2000,
         "rate_limit_cooldown_ms": 1500}}""".formatted(unique("breaker"))), 201);
    String id = created.get("id").stringValue();
    JsonNode breaker = assertStatus(admin().get("/api/v1/providers/" + id), 200).get("breaker");
    assertThat(breaker.get("consecutive_failures").asInt()).isEqualTo(3);
    assertThat(breaker.get("open_ms").asLong()).isEqualTo(2000);
    assertThat(breaker.get("rate_limit_cooldown_ms").asLong()).isEqualTo(1500);
    assertThat(breaker.get("failure_rate_percent").asInt()).isEqualTo(50);
    assertThat(breaker.get("window_seconds").asInt()).isEqualTo(30);
    assertThat(breaker.get("bad_key_probe_ms").asLong()).isEqualTo(60000);

    JsonNode patched = assertStatus(admin().patch("/api/v1/providers/" + id, """
        {"breaker": {"window_seconds": 60}}"""), 200);
    assertThat(patched.get("breaker").get("window_seconds").asInt()).isEqualTo(60);
    assertThat(patched.get("breaker").get("consecutive_failures").asInt()).isEqualTo(3);

    JsonNode reset = assertStatus(admin().patch("/api/v1/providers/" + id, "{\"breaker\": null}"), 200);
    assertThat(reset.get("breaker").isNull()).isTrue();
  }

  @Test
  void refusesBreakerValuesOutOfRangeNamingTheField() {
    long before = configVersion();
    for (String[] c : new String[][] {{"consecutive_failures", "0"}, {"failure_rate_percent", "101"},
        {"minimum_calls", "-1"}, {"window_seconds", "3601"}, {"open_ms", "0"}, {"rate_limit_cooldown_ms", "3600001"},
        {"bad_key_probe_ms", "86400001"}, {"open_ms", "\"soon\""}}) {
      assertApiError(admin().post("/api/v1/providers", """
          {"name": "%s", "type": "mock", "breaker": {"%s": %s}}""".formatted(unique("breaker"), c[0], c[1])),
          400, "breaker." + c[0]);
    }
    assertThat(configVersion()).isEqualTo(before);
  }
}
