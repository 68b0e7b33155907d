package dev.spillway.controlplane.lease;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.limits.LimitsRepository;
import dev.spillway.controlplane.limits.Scope;
import dev.spillway.controlplane.node.NodeIds;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionSystemException;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Grants leases ({@code POST /internal/v1/leases}, docs/governance.md): checks the call, then in one transaction
 * locks the counter of every window it names, in key order, and apportions each window by {@link LeaseMath}.
 * Limits come from the control plane's own tables, never from the node.
 */
@Service
public class LeaseService {
  static final int MAX_LEASES = 1000;
  /** numeric(24,9) holds 15 digits before the point. */
  private static final BigDecimal MAX_AMOUNT = new BigDecimal("999999999999999");
  /** A call that waits longer for a counter than this is answered 503; its node retries with its next refresh. */
  private static final Duration LOCK_WAIT = Duration.ofSeconds(5);

  private final LeaseRepository leases;
  private final LimitsRepository limits;
  private final LeaseProperties props;
  private final TransactionTemplate tx;

  public LeaseService(LeaseRepository leases, LimitsRepository limits, LeaseProperties props,
      PlatformTransactionManager txManager) {
    this.leases = leases;
    this.limits = limits;
    this.props = props;
    this.tx = new TransactionTemplate(txManager);
  }

  /** One checked lease of a call; {@code index} is its place in the call, for errors and the answer. */
  private record Request(int index, LeaseKey key, boolean windowless, BigDecimal used, BigDecimal want,
      boolean release) {
    String field(String name) {
      return "leases[" + index + "]." + name;
    }
  }

  /**
   * What the configuration says about a request's window.
   *
   * @param current  false for a budget window that is no longer its budget's (the period changed): the lease
   *                 keeps what it holds and gets no more
   * @param resetAt  the end of the window that counts now; null for {@code total}, concurrency and a budget that
   *                 no longer exists
   * @param spendUntil for a budget counter created by this call, the end of the recorded spend it starts from
   *                   (null: all of it since the window's start)
   */
  private record Plan(Request request, BigDecimal limit, boolean enforce, boolean current, Instant resetAt,
      Instant spendUntil) {}

  /**
   * Grants, renews or ends the leases of one call.
   *
   * @throws ApiException               (400) for a malformed call
   * @throws LeasesUnavailableException when PostgreSQL cannot be used now
   */
  public LeaseAnswer lease(LeaseCall call) {
    if (call == null) {
      throw ApiException.invalid("leases", "is required");
    }
    NodeIds.problem(call.nodeId()).ifPresent(problem -> {
      throw ApiException.invalid("node_id", problem);
    });
    List<Request> requests = parse(call.leases());
    try {
      return tx.execute(status -> grant(call.nodeId(), requests));
    } catch (ApiException e) {
      throw e;
    } catch (RuntimeException e) {
      Throwable cause = unavailability(e);
      if (cause != null) {
        throw new LeasesUnavailableException("leases unavailable: " + cause.getMessage(), e);
      }
      throw e;
    }
  }

  /**
   * The failure in {@code e} that says the database cannot be used now (rather than that the call or this code is
   * wrong), or null. A connection lost in the middle of a transaction shows as a failed statement, and often only
   * as the failed rollback that follows it.
   */
  static Throwable unavailability(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof TransactionSystemException tse && tse.getApplicationException() != null) {
        Throwable inner = unavailability(tse.getApplicationException());
        if (inner != null) {
          return inner;
        }
      }
      if (t instanceof CannotCreateTransactionException || t instanceof DataAccessResourceFailureException
          || t instanceof TransientDataAccessException || t instanceof SQLTransientException
          || t instanceof SQLNonTransientConnectionException || t instanceof SQLRecoverableException) {
        return t;
      }
      // 08: connection exceptions; 53: insufficient resources; 57P: the server shutting down or going away.
      if (t instanceof SQLException sql && sql.getSQLState() != null && (sql.getSQLState().startsWith("08")
          || sql.getSQLState().startsWith("53") || sql.getSQLState().startsWith("57P"))) {
        return t;
      }
    }
    return null;
  }

  private LeaseAnswer grant(String nodeId, List<Request> requests) {
    leases.limitLockWait(LOCK_WAIT);
    Instant clock = leases.now();
    Configs configs = configs(requests);
    // Sorted so that a call is worked through in one order whatever the node sent; the locks themselves are taken
    // in the database's key order (lockCounters), the same for every call.
    List<Plan> plans = requests.stream().map(r -> plan(r, configs, clock))
        .sorted((a, b) -> a.request().key().compareTo(b.request().key())).toList();
    List<LeaseKey> keys = plans.stream().map(p -> p.request().key()).toList();

    leases.createMissingCounters(plans.stream()
        .map(p -> new LeaseRepository.CounterSeed(p.request().key(), p.spendUntil())).toList());
    Map<LeaseKey, BigDecimal> consumed = leases.lockCounters(keys);
    // Taken after the locks: a call that waited for them judges expiry by the time it decides.
    Instant now = leases.now();
    Instant expiresAt = now.plus(props.ttl());
    Map<LeaseKey, StoredLease> own = leases.leasesOf(nodeId, keys);
    Map<LeaseKey, List<StoredLease>> others = leases.liveLeasesOfOthers(nodeId, keys, now);

    LeaseAnswer.Grant[] answers = new LeaseAnswer.Grant[plans.size()];
    List<LeaseRepository.LeaseRow> rows = new ArrayList<>();
    Map<LeaseKey, BigDecimal> changed = new HashMap<>();
    for (Plan plan : plans) {
      Request r = plan.request();
      LeaseKey key = r.key();
      StoredLease stored = own.get(key);
      LeaseMath.Own before = stored == null ? LeaseMath.Own.NONE
          : new LeaseMath.Own(stored.granted(), stored.used(), stored.liveAt(now));
      List<LeaseMath.Other> held = others.getOrDefault(key, List.of()).stream()
          .map(o -> new LeaseMath.Other(o.granted(), o.used(), o.want())).toList();
      BigDecimal want = r.want() == null ? BigDecimal.ZERO : r.want();
      LeaseMath.Outcome outcome = LeaseMath.grant(key.kind(), plan.limit(), consumed.get(key), before, held,
          new LeaseMath.Ask(r.used(), want, r.release(), plan.current()));

      if (outcome.consumed().compareTo(consumed.get(key)) != 0) {
        changed.put(key, outcome.consumed());
      }
      rows.add(new LeaseRepository.LeaseRow(key, outcome.granted(), outcome.used(), want,
          r.release() ? now : expiresAt, r.release() ? now : null));
      BigDecimal remaining = plan.current() ? outcome.remaining()
          : outcome.remaining() == null ? null : BigDecimal.ZERO;
      answers[r.index()] = new LeaseAnswer.Grant(key.scopeType().dbName(), key.scopeId().toString(),
          key.kind().wireName(), r.windowless() ? null : key.windowStart().toString(), amount(outcome.granted()),
          (r.release() ? now : expiresAt).toString(), amount(plan.limit()), plan.enforce(), amount(remaining),
          plan.resetAt() == null ? null : plan.resetAt().toString(), amount(outcome.used()));
    }
    leases.saveLeases(nodeId, rows);
    leases.saveConsumed(changed);
    return new LeaseAnswer(now.toString(), props.refreshMs(), Arrays.asList(answers));
  }

  // --- the limits that apply ------------------------------------------------------------------------------------

  private record Configs(Map<Scope, Map<UUID, BudgetConfig>> budgets,
      Map<Scope, Map<UUID, RateLimitConfig>> rateLimits) {}

  private Configs configs(List<Request> requests) {
    Map<Scope, Map<UUID, BudgetConfig>> budgets = new EnumMap<>(Scope.class);
    Map<Scope, Map<UUID, RateLimitConfig>> rateLimits = new EnumMap<>(Scope.class);
    for (Scope scope : Scope.values()) {
      Set<UUID> budgetIds = ids(requests, scope, true);
      Set<UUID> rateIds = ids(requests, scope, false);
      budgets.put(scope, budgetIds.isEmpty() ? Map.of() : limits.budgetsOf(scope, budgetIds));
      rateLimits.put(scope, rateIds.isEmpty() ? Map.of() : limits.rateLimitsOf(scope, rateIds));
    }
    return new Configs(budgets, rateLimits);
  }

  private static Set<UUID> ids(List<Request> requests, Scope scope, boolean budget) {
    return requests.stream().map(Request::key)
        .filter(k -> k.scopeType() == scope && (k.kind() == LeaseKind.BUDGET) == budget)
        .map(LeaseKey::scopeId).collect(Collectors.toSet());
  }

  private static Plan plan(Request r, Configs configs, Instant clock) {
    LeaseKey key = r.key();
    if (key.kind() == LeaseKind.BUDGET) {
      return budgetPlan(r, configs.budgets().get(key.scopeType()).get(key.scopeId()), clock);
    }
    RateLimitConfig rate = configs.rateLimits().get(key.scopeType()).get(key.scopeId());
    Integer limit = rate == null ? null : switch (key.kind()) {
      case RPM -> rate.rpm();
      case TPM -> rate.tpm();
      case CONCURRENCY -> rate.maxConcurrent();
      case BUDGET -> throw new IllegalStateException("budget");
    };
    BigDecimal limitValue = limit == null ? null : BigDecimal.valueOf(limit);
    boolean enforce = rate == null || rate.enforced();
    if (key.kind() == LeaseKind.CONCURRENCY) {
      return new Plan(r, limitValue, enforce, true, null, null);
    }
    if (!LeaseWindows.acceptableMinute(key.windowStart(), clock)) {
      throw ApiException.invalid(r.field("window_start"), key.windowStart() + " is not the current minute "
          + "(server time " + clock + ")");
    }
    return new Plan(r, limitValue, enforce, true, key.windowStart().plus(Duration.ofMinutes(1)), null);
  }

  private static Plan budgetPlan(Request r, BudgetConfig budget, Instant clock) {
    Instant start = r.key().windowStart();
    if (budget != null && LeaseWindows.acceptable(budget.period(), start, clock)) {
      Instant end = LeaseWindows.periodEnd(budget.period(), start);
      return new Plan(r, budget.limitUsd(), budget.enforced(), true, end, end);
    }
    if (!LeaseWindows.acceptableForAnyPeriod(start, clock)) {
      String what = budget == null ? "a current budget period"
          : "the current " + budget.period().wireName() + " period";
      throw ApiException.invalid(r.field("window_start"), start + " is not the start of " + what
          + " (server time " + clock + ")");
    }
    if (budget == null) {
      return new Plan(r, null, true, true, null, null);
    }
    // The budget's period changed after the node computed its window: the node learns the new period with its
    // next snapshot, until then it may finish spending what it holds in the old window.
    Instant current = LeaseWindows.periodStart(budget.period(), clock);
    return new Plan(r, budget.limitUsd(), budget.enforced(), false, LeaseWindows.periodEnd(budget.period(), current),
        null);
  }

  // --- checking a call ------------------------------------------------------------------------------------------

  private static List<Request> parse(List<LeaseCall.Item> items) {
    if (items == null) {
      throw ApiException.invalid("leases", "is required");
    }
    if (items.size() > MAX_LEASES) {
      throw ApiException.invalid("leases", "has " + items.size() + " leases (expected: at most " + MAX_LEASES + ")");
    }
    List<Request> requests = new ArrayList<>(items.size());
    Map<LeaseKey, Integer> seen = new HashMap<>();
    for (int i = 0; i < items.size(); i++) {
      Request request = parse(i, items.get(i));
      Integer earlier = seen.putIfAbsent(request.key(), i);
      if (earlier != null) {
        throw ApiException.invalid("leases[" + i + "]", "names the same lease as leases[" + earlier
            + "] (scope, kind and window)");
      }
      requests.add(request);
    }
    return requests;
  }

  private static Request parse(int index, LeaseCall.Item item) {
    String prefix = "leases[" + index + "].";
    if (item == null) {
      throw ApiException.invalid("leases[" + index + "]", "is required");
    }
    Scope scope = Arrays.stream(Scope.values()).filter(s -> s.dbName().equals(item.scopeType())).findFirst()
        .orElseThrow(() -> ApiException.invalid(prefix + "scope_type", item.scopeType() == null ? "is required"
            : "must be one of org, team, key (got '" + item.scopeType() + "')"));
    UUID scopeId = uuid(prefix + "scope_id", item.scopeId());
    LeaseKind kind = LeaseKind.find(item.kind()).orElseThrow(() -> ApiException.invalid(prefix + "kind",
        item.kind() == null ? "is required"
            : "must be one of budget, rpm, tpm, concurrency (got '" + item.kind() + "')"));
    Instant windowStart;
    if (kind == LeaseKind.CONCURRENCY) {
      if (item.windowStart() != null) {
        throw ApiException.invalid(prefix + "window_start", "must be null for concurrency (it has no window)");
      }
      windowStart = Instant.EPOCH;
    } else {
      windowStart = instant(prefix + "window_start", item.windowStart());
    }
    boolean release = Boolean.TRUE.equals(item.release());
    BigDecimal used = amount(prefix + "used", item.used(), kind, RoundingMode.CEILING);
    if (used == null) {
      throw ApiException.invalid(prefix + "used", "is required");
    }
    BigDecimal want = amount(prefix + "want", item.want(), kind, RoundingMode.DOWN);
    if (want == null && !release) {
      throw ApiException.invalid(prefix + "want", "is required (unless release is true)");
    }
    return new Request(index, new LeaseKey(scope, scopeId, kind, windowStart), kind == LeaseKind.CONCURRENCY, used,
        want, release);
  }

  private static UUID uuid(String field, String value) {
    if (value == null) {
      throw ApiException.invalid(field, "is required");
    }
    try {
      UUID id = UUID.fromString(value);
      // UUID.fromString also takes shortened forms such as 1-2-3-4-5.
      if (id.toString().equalsIgnoreCase(value)) {
        return id;
      }
    } catch (IllegalArgumentException e) {
      // answered below
    }
    throw ApiException.invalid(field, "must be a UUID (got '" + value + "')");
  }

  private static Instant instant(String field, String value) {
    if (value == null) {
      throw ApiException.invalid(field, "is required");
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw ApiException.invalid(field, "must be an ISO-8601 time such as 2026-12-01T00:00:00Z (got '" + value + "')");
    }
  }

  /**
   * A checked amount. Requests, tokens and slots are whole numbers. Dollars keep 9 decimal places: a report of
   * spend is rounded up and a wish rounded down, so that rounding never lets a node spend more.
   */
  private static BigDecimal amount(String field, BigDecimal value, LeaseKind kind, RoundingMode rounding) {
    if (value == null) {
      return null;
    }
    if (value.signum() < 0) {
      throw ApiException.invalid(field, "must be >= 0 (got " + value.toPlainString() + ")");
    }
    if (value.compareTo(MAX_AMOUNT) > 0) {
      throw ApiException.invalid(field, "must be <= " + MAX_AMOUNT.toPlainString());
    }
    if (kind.counts()) {
      if (value.stripTrailingZeros().scale() > 0) {
        throw ApiException.invalid(field, "must be a whole number for " + kind.wireName() + " (got "
            + value.toPlainString() + ")");
      }
      return value.setScale(0, RoundingMode.UNNECESSARY);
    }
    return value.setScale(LeaseMath.SCALE, rounding);
  }

  /** Decimal text without trailing zeros or exponent: "0.6", "50", "0". */
  private static String amount(BigDecimal value) {
    return value == null ? null : value.signum() == 0 ? "0" : value.stripTrailingZeros().toPlainString();
  }
}
