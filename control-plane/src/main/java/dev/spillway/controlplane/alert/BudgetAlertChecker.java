package dev.spillway.controlplane.alert;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.BudgetPeriod;
import dev.spillway.controlplane.common.Organization;
import dev.spillway.controlplane.limits.LimitsRepository;
import dev.spillway.controlplane.limits.Scope;
import dev.spillway.controlplane.organization.OrganizationRepository;
import dev.spillway.controlplane.security.Actor;
import dev.spillway.controlplane.security.CurrentActor;
import dev.spillway.controlplane.team.Team;
import dev.spillway.controlplane.team.TeamRepository;
import dev.spillway.controlplane.usage.UsageRecorded;
import dev.spillway.controlplane.usage.UsageService;
import dev.spillway.controlplane.virtualkey.VirtualKey;
import dev.spillway.controlplane.virtualkey.VirtualKeyRepository;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Fires budget alerts: whenever the recorded spend of a budget (organisation, team or key) in its current period
 * reaches 50, 80 or 100 % of its limit, once per budget, period and threshold.
 *
 * <p>When it looks: ingestion names the teams and keys of each committed batch ({@link UsageRecorded}) and this
 * only takes note of them, on the ingesting thread; a scheduled task every {@code spillway.alerts.check-interval-ms}
 * (2 s) checks the budgets of what was noted (and the organisation's). Every {@code spillway.alerts.sweep-interval-ms}
 * (a minute) it checks every budget, which catches what the notes miss: a limit lowered below the spend, a replica
 * that died before it checked, spend recorded by another replica while this one held the lock.
 *
 * <p>Who fires: every replica checks, but under a PostgreSQL advisory lock, so one at a time; a replica that does
 * not get the lock keeps its notes for its next turn. The unique key of {@code budget_alerts} decides, whatever
 * happens, that each alert is stored once: only the check that stored it logs it and hands it to the webhook.
 *
 * <p>Spend is read from the hourly rollups, as the budget bars of the dashboard show it. A period's start is a UTC
 * calendar boundary; an alert of a period fires only while that period is current (spend recorded late for a
 * period that has ended does not fire it).
 */
@Component
public class BudgetAlertChecker {
  private static final Logger log = LoggerFactory.getLogger(BudgetAlertChecker.class);
  /** The advisory lock of this job, an arbitrary constant that no other job uses ("SWALERT1"). */
  static final long LOCK_KEY = 0x5357_414c_4552_5431L;

  /** What one check did: {@code ran} is false when another replica held the lock. */
  public record Result(boolean ran, List<BudgetAlert> fired) {}

  /** A threshold a budget's spend has reached. */
  private record Crossing(Scope scope, UUID id, BudgetConfig budget, Instant periodStart, int threshold,
      BigDecimal spent) {}

  /** A scope's name and the team whose members may read its alerts. */
  private record Owner(String name, UUID teamId) {}

  private final Set<UUID> notedTeams = ConcurrentHashMap.newKeySet();
  private final Set<UUID> notedKeys = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean noted = new AtomicBoolean();

  private final JdbcClient jdbc;
  private final TransactionTemplate tx;
  private final LimitsRepository limits;
  private final UsageService usage;
  private final BudgetAlertRepository alerts;
  private final TeamRepository teams;
  private final VirtualKeyRepository keys;
  private final OrganizationRepository orgs;
  private final AlertWebhook webhook;

  public BudgetAlertChecker(JdbcClient jdbc, PlatformTransactionManager txm, LimitsRepository limits,
      UsageService usage, BudgetAlertRepository alerts, TeamRepository teams, VirtualKeyRepository keys,
      OrganizationRepository orgs, AlertWebhook webhook) {
    this.jdbc = jdbc;
    this.tx = new TransactionTemplate(txm);
    this.limits = limits;
    this.usage = usage;
    this.alerts = alerts;
    this.teams = teams;
    this.keys = keys;
    this.orgs = orgs;
    this.webhook = webhook;
  }

  /** Notes the teams and keys of a committed batch; the check runs later on the scheduler's thread. */
  @EventListener
  void onUsageRecorded(UsageRecorded recorded) {
    notedTeams.addAll(recorded.teamIds());
    notedKeys.addAll(recorded.keyIds());
    // Set after the ids, reset before they are taken: a note is never left behind without the flag.
    noted.set(true);
  }

  @Scheduled(fixedDelayString = "${spillway.alerts.check-interval-ms:2000}")
  void checkNoted() {
    if (!noted.getAndSet(false)) {
      return;
    }
    Set<UUID> teamIds = take(notedTeams);
    Set<UUID> keyIds = take(notedKeys);
    boolean ran = false;
    try {
      ran = check(teamIds, keyIds, Instant.now()).ran();
    } catch (RuntimeException e) {
      log.warn("budget alerts: check failed, will try again: {}", e.toString());
    }
    if (!ran) {
      notedTeams.addAll(teamIds);
      notedKeys.addAll(keyIds);
      noted.set(true);
    }
  }

  @Scheduled(fixedDelayString = "${spillway.alerts.sweep-interval-ms:60000}",
      initialDelayString = "${spillway.alerts.sweep-interval-ms:60000}")
  void sweep() {
    try {
      checkAll(Instant.now());
    } catch (RuntimeException e) {
      log.warn("budget alerts: sweep failed, will try again: {}", e.toString());
    }
  }

  /** Checks the budgets of these teams and keys, and the organisation's, in their periods as of {@code asOf}. */
  public Result check(Set<UUID> teamIds, Set<UUID> keyIds, Instant asOf) {
    return run(false, teamIds, keyIds, asOf);
  }

  /** Checks every budget in its period as of {@code asOf}. */
  public Result checkAll(Instant asOf) {
    return run(true, Set.of(), Set.of(), asOf);
  }

  private Result run(boolean all, Set<UUID> teamIds, Set<UUID> keyIds, Instant asOf) {
    // A background job reads every team's spend, whoever's thread it happens to run on.
    List<BudgetAlert> fired = CurrentActor.runAs(Actor.SYSTEM, () -> tx.execute(status -> {
      if (!Boolean.TRUE.equals(jdbc.sql("SELECT pg_try_advisory_xact_lock(?)").param(LOCK_KEY)
          .query(Boolean.class).single())) {
        return null;
      }
      return fire(crossings(all, teamIds, keyIds, asOf));
    }));
    if (fired == null) {
      return new Result(false, List.of());
    }
    // Committed: now it may be told.
    for (BudgetAlert alert : fired) {
      if (alert.thresholdPercent() >= 100) {
        log.warn("budget alert: {}", alert.message());
      } else {
        log.info("budget alert: {}", alert.message());
      }
    }
    if (fired.stream().anyMatch(a -> a.delivery() == BudgetAlert.Delivery.PENDING)) {
      webhook.kick();
    }
    return new Result(true, fired);
  }

  private List<Crossing> crossings(boolean all, Set<UUID> teamIds, Set<UUID> keyIds, Instant asOf) {
    List<Crossing> crossings = new ArrayList<>();
    Optional<BudgetConfig> org = limits.findBudget(Scope.ORG, Organization.DEFAULT_ID);
    if (org.isPresent()) {
      Instant start = UsageService.periodStart(org.get().period(), asOf);
      BigDecimal spent = usage.orgSpendBetween(start, UsageService.periodEnd(org.get().period(), start));
      crossings.addAll(crossed(Scope.ORG, Organization.DEFAULT_ID, org.get(), start, spent));
    }
    Map<UUID, BudgetConfig> teamBudgets = all ? limits.allBudgets(Scope.TEAM) : limits.budgetsOf(Scope.TEAM, teamIds);
    crossings.addAll(crossed(Scope.TEAM, teamBudgets, asOf));
    Map<UUID, BudgetConfig> keyBudgets = all ? limits.allBudgets(Scope.KEY) : limits.budgetsOf(Scope.KEY, keyIds);
    crossings.addAll(crossed(Scope.KEY, keyBudgets, asOf));
    return crossings;
  }

  /** The thresholds reached by these budgets' spend, read with one query per period. */
  private List<Crossing> crossed(Scope scope, Map<UUID, BudgetConfig> budgets, Instant asOf) {
    Map<BudgetPeriod, List<UUID>> byPeriod = new HashMap<>();
    budgets.forEach((id, budget) -> byPeriod.computeIfAbsent(budget.period(), p -> new ArrayList<>()).add(id));
    List<Crossing> crossings = new ArrayList<>();
    byPeriod.forEach((period, ids) -> {
      Instant start = UsageService.periodStart(period, asOf);
      Instant end = UsageService.periodEnd(period, start);
      Map<UUID, BigDecimal> spend = scope == Scope.TEAM ? usage.spendByTeamBetween(ids, start, end)
          : usage.spendByKeyBetween(ids, start, end);
      for (UUID id : ids) {
        crossings.addAll(crossed(scope, id, budgets.get(id), start, spend.getOrDefault(id, BigDecimal.ZERO)));
      }
    });
    return crossings;
  }

  private static List<Crossing> crossed(Scope scope, UUID id, BudgetConfig budget, Instant start, BigDecimal spent) {
    List<Crossing> crossings = new ArrayList<>();
    for (int threshold : reached(budget.limitUsd(), spent)) {
      crossings.add(new Crossing(scope, id, budget, start, threshold, spent));
    }
    return crossings;
  }

  /**
   * The thresholds {@code spent} has reached of {@code limit}, lowest first. Nothing spent reaches nothing, so a
   * budget of 0 (nothing allowed) fires once something was spent against it, not while it sits unused.
   */
  static List<Integer> reached(BigDecimal limit, BigDecimal spent) {
    List<Integer> reached = new ArrayList<>();
    if (spent.signum() <= 0) {
      return reached;
    }
    for (int threshold : BudgetAlert.THRESHOLDS) {
      if (spent.multiply(BigDecimal.valueOf(100)).compareTo(limit.multiply(BigDecimal.valueOf(threshold))) >= 0) {
        reached.add(threshold);
      }
    }
    return reached;
  }

  /** Stores the crossings that have not fired yet; answers the alerts this call stored. */
  private List<BudgetAlert> fire(List<Crossing> crossings) {
    if (crossings.isEmpty()) {
      return List.of();
    }
    Set<BudgetAlertRepository.AlertKey> fired = new HashSet<>();
    for (Scope scope : Scope.values()) {
      List<Crossing> of = crossings.stream().filter(c -> c.scope() == scope).toList();
      fired.addAll(alerts.fired(scope, of.stream().map(Crossing::id).distinct().toList(),
          of.stream().map(Crossing::periodStart).distinct().toList()));
    }
    List<Crossing> fresh = crossings.stream()
        .filter(c -> !fired.contains(new BudgetAlertRepository.AlertKey(c.scope(), c.id(), c.periodStart(),
            c.threshold())))
        .sorted(Comparator.comparing((Crossing c) -> c.scope().ordinal()).thenComparing(Crossing::id)
            .thenComparingInt(Crossing::threshold))
        .toList();
    List<BudgetAlert> stored = new ArrayList<>();
    Map<UUID, Optional<Owner>> owners = new HashMap<>();
    Instant now = Instant.now();
    for (Crossing c : fresh) {
      Optional<Owner> owner = owners.computeIfAbsent(c.id(), id -> owner(c.scope(), id));
      if (owner.isEmpty()) {
        // Deleted since its budget was read: nothing left to warn about.
        continue;
      }
      BudgetAlert.Delivery delivery = webhook.enabled() ? BudgetAlert.Delivery.PENDING : BudgetAlert.Delivery.NONE;
      BudgetAlert alert = new BudgetAlert(UUID.randomUUID(), c.scope(), c.id(), owner.get().name(),
          owner.get().teamId(), c.budget().period(), c.periodStart(), c.threshold(), c.budget().limitUsd(),
          c.spent(), c.budget().enforced(), now, delivery, 0, delivery == BudgetAlert.Delivery.PENDING ? now : null,
          null, null);
      if (alerts.insertIfNew(alert)) {
        stored.add(alert);
      }
    }
    return stored;
  }

  private Optional<Owner> owner(Scope scope, UUID id) {
    return switch (scope) {
      case ORG -> Optional.of(new Owner(orgs.get(id).name(), null));
      case TEAM -> teams.findById(id).map(Team::name).map(name -> new Owner(name, id));
      case KEY -> keys.findById(id).map((VirtualKey k) -> new Owner(k.name(), k.teamId()));
    };
  }

  private static Set<UUID> take(Collection<UUID> noted) {
    Set<UUID> taken = new HashSet<>();
    for (UUID id : noted) {
      if (noted.remove(id)) {
        taken.add(id);
      }
    }
    return taken;
  }
}
