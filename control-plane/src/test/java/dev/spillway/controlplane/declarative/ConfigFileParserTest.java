package dev.spillway.controlplane.declarative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.controlplane.common.ApiException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ConfigFileParserTest {

  @Test
  void readsEverySectionWithSnakeCaseNamesAndKeepsTimestampsAsInstants() {
    ConfigFile file = ConfigFileParser.parse("""
        org: {rate_limit: {rpm: 100}}
        teams: [{name: a, budget: {limit_usd: 1.5, period: daily}}]
        providers: [{name: p, type: openai, keys: [{name: k, value: "${K}"}], timeouts: {connect_ms: 100}}]
        routes: [{model: m, targets: [{provider: p, model: x}], retry: {max_attempts: 2}}]
        virtual_keys: [{name: v, team: a, key: "${V}", expires_at: 2030-01-02T03:04:05Z}]
        """);

    assertThat(file.org().rateLimit().rpm()).isEqualTo(100);
    assertThat(file.teams().get(0).budget().limitUsd()).isEqualByComparingTo("1.5");
    assertThat(file.providers().get(0).timeouts().connectMs()).isEqualTo(100);
    assertThat(file.routes().get(0).retry().maxAttempts()).isEqualTo(2);
    assertThat(file.virtualKeys().get(0).expiresAt()).isEqualTo(Instant.parse("2030-01-02T03:04:05Z"));
  }

  @Test
  void anEmptySectionListIsEmpty() {
    ConfigFile file = ConfigFileParser.parse("teams: []");

    assertThat(file.providers()).isEmpty();
    assertThat(file.virtualKeys()).isEmpty();
  }

  @Test
  void namesAnUnknownSettingByItsPath() {
    assertThatThrownBy(() -> ConfigFileParser.parse("routes: [{model: m, targtes: []}]"))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo("routes[0].targtes"));
  }

  @Test
  void refusesDuplicateKeysAndNonMappings() {
    assertThatThrownBy(() -> ConfigFileParser.parse("teams: []\nteams: []"))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo("config"));
    assertThatThrownBy(() -> ConfigFileParser.parse("just text"))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo("config"));
    assertThatThrownBy(() -> ConfigFileParser.parse("  "))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.field()).isEqualTo("config"));
  }

  @Test
  void refusesCustomTags() {
    assertThatThrownBy(() -> ConfigFileParser.parse("teams: !!java.util.ArrayList []"))
        .isInstanceOf(ApiException.class);
  }

  @Test
  void placesAFieldErrorUnderItsPrefix() {
    ApiException e = ApiException.invalid("budget.limit_usd", "must be >= 0").under("teams[2]");

    assertThat(e.field()).isEqualTo("teams[2].budget.limit_usd");
    assertThat(e.getMessage()).isEqualTo("teams[2].budget.limit_usd: must be >= 0");
  }
}
