package dev.spillway.controlplane.alert;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.BudgetPeriod;
import dev.spillway.controlplane.limits.Scope;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class AlertWebhookTest {
  private static final UUID KEY = UUID.fromString("6f1c1a52-7c8e-4a4e-9f55-0a4c1c7d2b10");
  private static final UUID TEAM = UUID.fromString("0b9d7a8e-2f3c-4d5e-8f60-718293a4b5c6");

  static BudgetAlert alert(boolean enforce) {
    return new BudgetAlert(UUID.fromString("11111111-2222-4333-8444-555555555555"), Scope.TEAM, TEAM, "research",
        TEAM, BudgetPeriod.MONTHLY, Instant.parse("2026-12-01T00:00:00Z"), 80, new BigDecimal("5E+1"),
        new BigDecimal("40.123400000"), enforce, Instant.parse("2026-12-07T13:38:02.120Z"),
        BudgetAlert.Delivery.PENDING, 0, Instant.parse("2026-12-07T13:38:02.120Z"), null, null);
  }

  @Test
  void retriesAfterWaitsThatDoubleFromOneSecondUpToTheCap() {
    Duration second = Duration.ofSeconds(1);
    Duration hour = Duration.ofHours(1);

    assertThat(IntStream.rangeClosed(1, 9).mapToObj(n -> AlertWebhook.backoff(n, second, hour).toSeconds()))
        .containsExactly(1L, 2L, 4L, 8L, 16L, 32L, 64L, 128L, 256L);
    assertThat(AlertWebhook.backoff(13, second, hour)).isEqualTo(hour);
    assertThat(AlertWebhook.backoff(1_000, second, hour)).isEqualTo(hour);
    assertThat(AlertWebhook.backoff(3, Duration.ofMillis(200), hour)).isEqualTo(Duration.ofMillis(800));
  }

  @Test
  void signsTheBodyWithHmacSha256OfTheSecret() {
    // RFC 4231, test case 2.
    assertThat(AlertWebhook.signature("Jefe", "what do ya want for nothing?".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  }

  @Test
  void theBodyCarriesTheAlertWithAmountsAsDecimalStrings() {
    JsonNode body = JsonMapper.builder().build().readTree(AlertWebhook.body(alert(true)));

    assertThat(body.get("type").stringValue()).isEqualTo("budget.threshold");
    assertThat(body.get("id").stringValue()).isEqualTo("11111111-2222-4333-8444-555555555555");
    assertThat(body.get("threshold_percent").asInt()).isEqualTo(80);
    assertThat(body.get("scope_type").stringValue()).isEqualTo("team");
    assertThat(body.get("scope_id").stringValue()).isEqualTo(TEAM.toString());
    assertThat(body.get("scope_name").stringValue()).isEqualTo("research");
    assertThat(body.get("period").stringValue()).isEqualTo("monthly");
    assertThat(body.get("period_start").stringValue()).isEqualTo("2026-12-01T00:00:00Z");
    assertThat(body.get("limit_usd").stringValue()).isEqualTo("50.00");
    assertThat(body.get("spent_usd").stringValue()).isEqualTo("40.1234");
    assertThat(body.get("enforce").booleanValue()).isTrue();
    assertThat(body.get("fired_at").stringValue()).isEqualTo("2026-12-07T13:38:02.120Z");
    assertThat(body.get("message").stringValue())
        .isEqualTo("budget alert: team 'research' monthly budget $50.00 at 80 % ($40.12 spent)");
    // Every attempt sends the same bytes, so a signature checked once is checked for all.
    assertThat(AlertWebhook.body(alert(true))).isEqualTo(AlertWebhook.body(alert(true)));
  }

  @Test
  void aShadowBudgetSaysThatItRefusesNothing() {
    assertThat(alert(false).message())
        .isEqualTo("team 'research' monthly budget $50.00 at 80 % ($40.12 spent; shadow mode, nothing refused)");
  }

  @Test
  void smallAmountsKeepFourDecimals() {
    BudgetAlert a = new BudgetAlert(UUID.randomUUID(), Scope.KEY, KEY, "ci", TEAM, BudgetPeriod.DAILY,
        Instant.parse("2026-12-07T00:00:00Z"), 100, new BigDecimal("0.5"), new BigDecimal("0.5012"), true,
        Instant.now(), BudgetAlert.Delivery.NONE, 0, null, null, null);

    assertThat(a.message()).isEqualTo("key 'ci' daily budget $0.5000 at 100 % ($0.5012 spent)");
    assertThat(a.deliverySummary()).isEqualTo("no webhook");
  }
}
