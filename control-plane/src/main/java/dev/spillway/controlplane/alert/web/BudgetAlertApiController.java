package dev.spillway.controlplane.alert.web;

import dev.spillway.controlplane.alert.BudgetAlert;
import dev.spillway.controlplane.alert.BudgetAlertService;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.QueryParams;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/v1/budget-alerts}: budget alerts that fired (50, 80, 100 % of a budget in a period), newest
 * first, with where their webhook delivery stands. Visible as usage is: team members see their teams' and keys'.
 */
@RestController
class BudgetAlertApiController {
  private final BudgetAlertService alerts;

  BudgetAlertApiController(BudgetAlertService alerts) {
    this.alerts = alerts;
  }

  /** One alert on the wire. */
  record AlertView(UUID id, String type, int thresholdPercent, String scopeType, UUID scopeId, String scopeName,
      UUID teamId, String period, Instant periodStart, BigDecimal limitUsd, BigDecimal spentUsd, boolean enforce,
      Instant firedAt, String message, String deliveryState, int deliveryAttempts, Instant nextAttemptAt,
      Instant deliveredAt, String lastError) {

    static AlertView of(BudgetAlert a) {
      return new AlertView(a.id(), "budget.threshold", a.thresholdPercent(), a.scopeType().dbName(), a.scopeId(),
          a.scopeName(), a.teamId(), a.period().wireName(), a.periodStart(), BudgetAlert.exact(a.limitUsd()),
          BudgetAlert.exact(a.spentUsd()), a.enforce(), a.firedAt(), a.message(), a.delivery().wireName(),
          a.deliveryAttempts(), a.nextAttemptAt(), a.deliveredAt(), a.lastError());
    }
  }

  @GetMapping("/api/v1/budget-alerts")
  Map<String, Object> list(@RequestParam(name = "team_id", required = false) String teamId,
      @RequestParam(name = "key_id", required = false) String keyId,
      @RequestParam(defaultValue = "100") String limit) {
    List<AlertView> data = alerts.list(QueryParams.id("team_id", teamId), QueryParams.id("key_id", keyId),
        number("limit", limit)).stream().map(AlertView::of).toList();
    return Map.of("data", data);
  }

  private static int number(String field, String value) {
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw ApiException.invalid(field, "must be a whole number (got '" + value + "')");
    }
  }
}
