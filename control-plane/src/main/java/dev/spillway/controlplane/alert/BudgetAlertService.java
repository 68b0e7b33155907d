package dev.spillway.controlplane.alert;

import dev.spillway.config.BudgetConfig;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.limits.Scope;
import dev.spillway.controlplane.security.Authz;
import dev.spillway.controlplane.security.CurrentActor;
import dev.spillway.controlplane.usage.UsageService;
import dev.spillway.controlplane.virtualkey.VirtualKey;
import dev.spillway.controlplane.virtualkey.VirtualKeyService;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.stereotype.Service;

/**
 * Fired budget alerts as callers may see them, with the visibility of {@code /api/v1/usage}: organisation-wide
 * roles see every alert, team members the alerts of their teams' budgets and of their keys' budgets, never the
 * organisation's.
 */
@Service
public class BudgetAlertService {
  /** The most alerts one list answers. */
  public static final int MAX_LIMIT = 1000;

  private final BudgetAlertRepository alerts;
  private final VirtualKeyService keys;

  public BudgetAlertService(BudgetAlertRepository alerts, VirtualKeyService keys) {
    this.alerts = alerts;
    this.keys = keys;
  }

  /**
   * The newest alerts, optionally of one team (its own budget and its keys') or of one key. Asking for a team or key
   * the caller may not read is a 403, as for usage.
   */
  public List<BudgetAlert> list(UUID teamId, UUID keyId, int limit) {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw ApiException.invalid("limit", "must be 1 to " + MAX_LIMIT + " (got " + limit + ")");
    }
    if (teamId != null) {
      Authz.requireTeamRead(teamId);
    }
    if (keyId != null) {
      VirtualKey key = keys.get(keyId);
      if (teamId != null && !teamId.equals(key.teamId())) {
        return List.of();
      }
    }
    return alerts.find(new BudgetAlertRepository.Filter(Authz.readableTeamsOrAll(), teamId,
        keyId == null ? null : Scope.KEY, keyId == null ? null : List.of(keyId), null, limit));
  }

  /**
   * The alerts fired in the current period of each of these budgets (of scopes the caller has been shown), by scope
   * id; scopes without alerts, or whose alerts the caller may not read, are absent.
   */
  public Map<UUID, List<BudgetAlert>> inCurrentPeriods(Scope scope, Map<UUID, BudgetConfig> budgets) {
    Map<UUID, List<BudgetAlert>> result = new HashMap<>();
    Map<UUID, Instant> starts = new HashMap<>();
    Instant now = Instant.now();
    budgets.forEach((id, budget) -> {
      if (budget != null) {
        starts.put(id, UsageService.periodStart(budget.period(), now));
      }
    });
    if (starts.isEmpty() || scope == Scope.ORG && !CurrentActor.get().readsEverything()) {
      return result;
    }
    // Room for every alert these scopes can have in any of these periods: a page of 500 keys is not cut short.
    int room = starts.size() * BudgetAlert.THRESHOLDS.length * Set.copyOf(starts.values()).size();
    List<BudgetAlert> found = alerts.find(new BudgetAlertRepository.Filter(Authz.readableTeamsOrAll(), null, scope,
        starts.keySet(), Set.copyOf(starts.values()), room));
    for (BudgetAlert a : found) {
      if (a.periodStart().equals(starts.get(a.scopeId()))) {
        result.computeIfAbsent(a.scopeId(), id -> new ArrayList<>()).add(a);
      }
    }
    // Lowest threshold first: 50, 80, 100 reads like the period went.
    result.values().forEach(list -> list.sort(Comparator.comparingInt(BudgetAlert::thresholdPercent)));
    return result;
  }

  /** The newest alerts the caller may read, for the overview. */
  public List<BudgetAlert> latest(int limit) {
    return alerts.find(new BudgetAlertRepository.Filter(Authz.readableTeamsOrAll(), null, null, null, null,
        Math.min(Math.max(limit, 1), MAX_LIMIT)));
  }
}
