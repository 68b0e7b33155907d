package dev.spillway.controlplane.declarative;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.SealedSecret;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /api/v1/config/apply}: a spillway.yaml upserts by name, twice is a no-op, secrets come only from the
 * environment. Variables are set as Java system properties, which the control plane's environment includes.
 */
class DeclarativeConfigIT extends ControlPlaneIntegrationTest {

  private ApiResponse apply(String yaml) {
    return admin().send("POST", "/api/v1/config/apply", "application/yaml", yaml);
  }

  private String config(String suffix, String providerVar, String keyVar, int rpm) {
    return """
        teams:
          - name: research-%1$s
            description: from git
            budget: {limit_usd: 100, period: monthly}
            rate_limit: {rpm: %4$d}
        providers:
          - name: openai-%1$s
            type: openai
            keys:
              - name: main
                value: ${%2$s}
                weight: 2
          - name: mock-%1$s
            type: mock
            settings: {latency_ms: "5"}
        routes:
          - model: gpt-%1$s
            targets: [{provider: openai-%1$s, model: gpt-4o-mini}]
            fallbacks: [{provider: mock-%1$s, model: mock-1}]
            retry: {max_attempts: 2, initial_backoff_ms: 100}
        virtual_keys:
          - name: app
            team: research-%1$s
            key: ${%3$s}
            models: [gpt-%1$s]
            expires_at: 2099-01-01T00:00:00Z
            metadata: {owner: data-team}
        """.formatted(suffix, providerVar, keyVar, rpm);
  }

  @Test
  void appliesOnceThenIsANoOpThenAppliesAChange() {
    String suffix = unique("gitops");
    String providerVar = "SPILLWAY_SECRET_IT_PROVIDER_" + suffix.replace('-', '_').toUpperCase();
    String keyVar = "SPILLWAY_SECRET_IT_KEY_" + suffix.replace('-', '_').toUpperCase();
    String providerSecret = "sk-openai-" + suffix + "-0123456789";
    String keySecret = "sk-sw-" + "A".repeat(20) + suffix.replaceAll("[^a-z0-9]", "") + "b".repeat(20);
    System.setProperty(providerVar, providerSecret);
    System.setProperty(keyVar, keySecret);

    JsonNode first = assertStatus(apply(config(suffix, providerVar, keyVar, 60)), 200);
    assertThat(first.get("applied").asBoolean()).isTrue();
    assertThat(first.get("changes").size()).isEqualTo(5);
    long afterFirst = configVersion();
    assertThat(first.get("version").asLong()).isEqualTo(afterFirst);

    JsonNode second = assertStatus(apply(config(suffix, providerVar, keyVar, 60)), 200);
    assertThat(second.get("applied").asBoolean()).isFalse();
    assertThat(second.get("changes").size()).isZero();
    assertThat(configVersion()).isEqualTo(afterFirst);

    JsonNode dryRun = assertStatus(admin().send("POST", "/api/v1/config/apply?dry_run=true", "application/yaml",
        config(suffix, providerVar, keyVar, 120)), 200);
    assertThat(dryRun.get("changes").get(0).get("resource_type").stringValue()).isEqualTo("team");
    assertThat(configVersion()).isEqualTo(afterFirst);

    JsonNode third = assertStatus(apply(config(suffix, providerVar, keyVar, 120)), 200);
    assertThat(third.get("changes").size()).isEqualTo(1);
    assertThat(configVersion()).isEqualTo(afterFirst + 1);
    JsonNode team = assertStatus(admin().get("/api/v1/teams"), 200).get("data").valueStream()
        .filter(t -> t.get("name").stringValue().equals("research-" + suffix)).findFirst().orElseThrow();
    assertThat(team.get("rate_limit").get("rpm").asInt()).isEqualTo(120);

    long version = awaitSnapshotCaughtUp();
    ApiResponse poll = pollSnapshot(version - 1);
    SnapshotConfig snapshot = new SnapshotCodec().decode(poll.body(), poll.header("Spillway-Snapshot-Sha256"));
    assertThat(snapshot.virtualKeys()).extracting(k -> k.keyHash()).contains(sha256Hex(keySecret));
    var provider = snapshot.providers().stream().filter(p -> p.name().equals("openai-" + suffix)).findFirst()
        .orElseThrow();
    assertThat(SealedSecret.forNodes(NODE_TOKEN).open(provider.keys().get(0).sealedValue(),
        "provider:" + provider.id() + ":key:main")).isEqualTo(providerSecret);

    String rotated = "sk-sw-" + "C".repeat(40) + suffix.replaceAll("[^a-z0-9]", "");
    System.setProperty(keyVar, rotated);
    JsonNode fourth = assertStatus(apply(config(suffix, providerVar, keyVar, 120)), 200);
    assertThat(fourth.get("changes").get(0).get("resource_type").stringValue()).isEqualTo("virtual_key");
    assertThat(jdbc.sql("SELECT count(*) FROM virtual_keys WHERE key_hash = ? AND status = 'active'")
        .param(sha256Hex(rotated)).query(Long.class).single()).isEqualTo(1);
  }

  @Test
  void refusesAnInlineSecret() {
    long version = configVersion();

    var error = assertApiError(apply("""
        providers:
          - name: leaky
            type: openai
            keys: [{name: main, value: sk-live-inline-secret}]
        """), 400, "providers[0].keys[0].value");

    assertThat(message(error)).contains("inline secrets are not allowed").doesNotContain("sk-live-inline-secret");
    assertThat(configVersion()).isEqualTo(version);
  }

  @Test
  void refusesAReferenceToAVariableWithoutTheSecretPrefixNamingItButNotItsValue() {
    String name = "IT_UNPREFIXED_" + unique("env").replace('-', '_').toUpperCase();
    System.setProperty(name, "value-that-must-not-leak-0123456789");
    long version = configVersion();

    var error = assertApiError(apply("""
        providers:
          - {name: %s, type: openai, keys: [{name: main, value: "${%s}"}]}
        """.formatted(unique("home"), name)), 400, "providers[0].keys[0].value");
    var home = assertApiError(apply("""
        providers:
          - {name: %s, type: openai, keys: [{name: main, value: "${HOME}"}]}
        """.formatted(unique("home"))), 400, "providers[0].keys[0].value");

    assertThat(message(error)).contains(name, "SPILLWAY_SECRET_")
        .doesNotContain("value-that-must-not-leak");
    assertThat(message(home)).contains("HOME", "SPILLWAY_SECRET_").doesNotContain(System.getenv("HOME"));
    assertThat(configVersion()).isEqualTo(version);
  }

  @Test
  void refusesMissingVariablesControlPlaneSecretsAndUnknownSettings() {
    assertApiError(apply("""
        providers:
          - {name: p, type: openai, keys: [{name: main, value: "${SPILLWAY_SECRET_IT_SURELY_NOT_SET_ANYWHERE}"}]}
        """), 400, "providers[0].keys[0].value");
    assertApiError(apply("""
        providers:
          - {name: p, type: openai, keys: [{name: main, value: "${SPILLWAY_SECRET_KEY}"}]}
        """), 400, "providers[0].keys[0].value");
    assertApiError(apply("teams: [{name: t, colour: blue}]"), 400, "teams[0].colour");
    assertApiError(apply("teams: [{name: t, budget: {limit_usd: -1}}]"), 400, "teams[0].budget.limit_usd");
    assertApiError(apply("routes: [{model: r, targets: [{provider: ghost, model: m}]}]"), 400,
        "routes[0].targets[0].provider");
    assertApiError(apply("virtual_keys: [{name: k, team: no-such-team, key: \"${X}\"}]"), 400,
        "virtual_keys[0].key");
    assertApiError(apply("teams: [unclosed"), 400, "config");
    assertApiError(apply("- just\n- a list"), 400, "config");
  }

  @Test
  void appliesRouteStrategyProviderBreakerAndRoutingRulesIdempotently() {
    String suffix = unique("rules");
    String yaml = """
        teams:
          - name: team-%1$s
        providers:
          - name: mock-%1$s
            type: mock
            breaker: {consecutive_failures: 2, open_ms: 900}
        routes:
          - model: main-%1$s
            targets: [{provider: mock-%1$s, model: mock-1}]
          - model: premium-%1$s
            targets: [{provider: mock-%1$s, model: mock-2}]
            strategy: least_latency
            sticky: false
            retry: {max_attempts: 2, deadline_ms: 4000}
        routing_rules:
          - name: premium-%1$s
            priority: %2$d
            match: {team: team-%1$s, headers: {X-Tier: premium}}
            route: premium-%1$s
        """;

    JsonNode first = assertStatus(apply(yaml.formatted(suffix, 1)), 200);
    assertThat(first.get("changes").valueStream().map(c -> c.get("resource_type").stringValue()))
        .contains("routing_rule", "route", "provider");
    JsonNode second = assertStatus(apply(yaml.formatted(suffix, 1)), 200);
    assertThat(second.get("changes")).isEmpty();
    JsonNode third = assertStatus(apply(yaml.formatted(suffix, 2)), 200);
    assertThat(third.get("changes").valueStream().map(c -> c.get("action").stringValue() + " "
        + c.get("resource_type").stringValue())).containsExactly("update routing_rule");

    JsonNode rule = assertStatus(admin().get("/api/v1/routing-rules"), 200).get("data").valueStream()
        .filter(r -> r.get("name").stringValue().equals("premium-" + suffix)).findFirst().orElseThrow();
    assertThat(rule.get("priority").asInt()).isEqualTo(2);
    assertThat(rule.get("match").get("headers").get("x-tier").stringValue()).isEqualTo("premium");
    JsonNode route = assertStatus(admin().get("/api/v1/routes"), 200).get("data").valueStream()
        .filter(r -> r.get("model").stringValue().equals("premium-" + suffix)).findFirst().orElseThrow();
    assertThat(route.get("strategy").stringValue()).isEqualTo("least_latency");
    assertThat(route.get("retry").get("deadline_ms").asLong()).isEqualTo(4000);
    assertApiError(apply("""
        routing_rules:
          - {name: r, match: {team: no-such-team-%s}, route: main-%s}""".formatted(suffix, suffix)), 400,
        "routing_rules[0].match.team");
  }
}
