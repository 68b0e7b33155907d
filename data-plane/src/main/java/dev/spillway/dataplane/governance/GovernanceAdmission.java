package dev.spillway.dataplane.governance;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.OnUnreachable;
import dev.spillway.config.PriceConfig;
import dev.spillway.config.RateLimitConfig;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.exchange.Admission;
import dev.spillway.dataplane.exchange.ExchangeRequest;
import dev.spillway.dataplane.metrics.Endpoint;
import dev.spillway.dataplane.protocol.canonical.CanonicalParts;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.usage.PriceTable;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Stage 3 for real: every budget and rate limit of the request's key, team and organisation, enforced from this
 * node's leases (docs/governance.md).
 *
 * <p>Each limit is a claim on a lease: the request's estimated cost on a budget (input tokens from the body's size,
 * output from {@code max_tokens} or a default, at the highest price among the route's targets), one request on
 * {@code rpm}, its estimated tokens on {@code tpm}, one slot on {@code max_concurrent}. All claims are taken or
 * none: when one does not fit and the control plane may grant more, the claims taken are put back and the request
 * waits for the next grant and tries again, for at most {@link #MAX_WAIT}; it is refused when the fleet has no room
 * left for it, or when the time is up. A limit in shadow mode never refuses: the request takes its claim anyway and carries what would have refused
 * it to its usage event.
 */
public final class GovernanceAdmission implements Admission {
  static final Duration MAX_WAIT = Duration.ofSeconds(3);

  private final LeaseClient leases;
  private final long defaultOutputTokens;

  public GovernanceAdmission(LeaseClient leases, long defaultOutputTokens) {
    this.leases = leases;
    this.defaultOutputTokens = defaultOutputTokens;
  }

  /** One limit the request must pass, and what it takes from the lease. */
  record Claim(Lease lease, long amount, BudgetConfig budget, RateLimitConfig rate) {
    boolean enforced() {
      return budget != null ? budget.enforced() : rate.enforced();
    }
  }

  @Override
  public CompletionStage<Reservation> admit(ExchangeRequest request) {
    if (request.endpoint() == Endpoint.COUNT_TOKENS) {
      return CompletableFuture.completedFuture(Reservation.NONE); // free at the provider, answered locally
    }
    List<Claim> claims = claims(request);
    if (claims.isEmpty()) {
      return CompletableFuture.completedFuture(Reservation.NONE);
    }
    return attempt(claims, System.nanoTime() + MAX_WAIT.toNanos());
  }

  private CompletionStage<Reservation> attempt(List<Claim> claims, long deadlineNanos) {
    boolean mayWait = System.nanoTime() < deadlineNanos;
    List<Claim> taken = new ArrayList<>(claims.size());
    List<Claim> waiting = List.of();
    String shadow = null;
    long now = System.nanoTime();
    boolean reachable = leases.reachable();
    for (Claim claim : claims) {
      Lease.Take take = claim.lease().take(claim.amount(), mayWait, reachable, now);
      if (take == Lease.Take.TAKEN) {
        taken.add(claim);
      } else if (take == Lease.Take.WAIT) {
        if (waiting.isEmpty()) {
          waiting = new ArrayList<>();
        }
        waiting.add(claim);
      } else if (!reachable && coversOffline(claim)) {
        claim.lease().force(claim.amount());
        taken.add(claim);
      } else if (!claim.enforced()) {
        claim.lease().force(claim.amount());
        taken.add(claim);
        shadow = shadow == null ? claim.lease().description : shadow;
      } else {
        release(taken);
        withdraw(waiting);
        return CompletableFuture.failedFuture(refusal(claim, reachable, headers(claims)));
      }
    }
    if (waiting.isEmpty()) {
      return CompletableFuture.completedFuture(new GovernedReservation(taken, shadow, headers(claims)));
    }
    release(taken);
    leases.wake();
    CompletableFuture<?>[] grants = waiting.stream().map(c -> c.lease().nextGrant()).toArray(CompletableFuture[]::new);
    List<Claim> waited = waiting;
    long left = Math.max(1, deadlineNanos - System.nanoTime());
    return CompletableFuture.allOf(grants)
        .completeOnTimeout(null, left, TimeUnit.NANOSECONDS)
        .thenCompose(ignored -> {
          withdraw(waited);
          return attempt(claims, deadlineNanos);
        });
  }

  /**
   * While the control plane cannot be asked: a budget whose lease is spent or expired follows its
   * {@code on_unreachable}; a rate limit lets the node use the share it last had.
   */
  private boolean coversOffline(Claim claim) {
    if (claim.budget() != null) {
      return claim.budget().onUnreachable() == OnUnreachable.FAIL_OPEN;
    }
    return claim.lease().coversOffline(claim.amount(), leases.previousGrant(claim.lease().key));
  }

  private static void release(List<Claim> taken) {
    for (Claim claim : taken) {
      claim.lease().cancel(claim.amount());
    }
  }

  private static void withdraw(List<Claim> waiting) {
    for (Claim claim : waiting) {
      claim.lease().withdrawDemand(claim.amount());
    }
  }

  // --- what a request claims ----------------------------------------------------------------------------------------

  private List<Claim> claims(ExchangeRequest request) {
    var caller = request.caller();
    var snapshot = caller.config().snapshot();
    var key = caller.key().key();
    var team = caller.key().team();
    List<Claim> claims = new ArrayList<>();
    Estimate estimate = null;
    String[][] levels = {
        {"org", snapshot.organization().id()},
        {"team", team == null ? null : team.id()},
        {"key", key.id()}};
    BudgetConfig[] budgets = {snapshot.organization().budget(), team == null ? null : team.budget(), key.budget()};
    RateLimitConfig[] rates = {snapshot.organization().rateLimit(), team == null ? null : team.rateLimit(),
        key.rateLimit()};
    Instant now = Instant.now();
    for (int i = 0; i < levels.length; i++) {
      String scopeType = levels[i][0];
      String scopeId = levels[i][1];
      if (scopeId == null) {
        continue;
      }
      // A lease's description (the level's name in refusals) is built once, with the lease, not per request.
      int levelIndex = i;
      java.util.function.Supplier<String> level = () -> switch (levelIndex) {
        case 0 -> "organisation '" + snapshot.organization().name() + "'";
        case 1 -> "team '" + team.name() + "'";
        default -> "key '" + (key.name() == null ? key.keyPrefix() : key.name()) + "'";
      };
      BudgetConfig budget = budgets[i];
      if (budget != null) {
        estimate = estimate == null ? estimate(request) : estimate;
        Instant start = Windows.periodStart(budget.period(), now);
        LeaseKey leaseKey = new LeaseKey(scopeType, scopeId, LeaseKey.Kind.BUDGET, start);
        Lease lease = leases.lease(leaseKey, k -> new Lease(k,
            level.get() + " " + budget.period().wireName() + " budget $" + usd(budget.limitUsd()),
            budget.limitUsd().movePointRight(9).setScale(0, RoundingMode.DOWN).longValue(),
            Windows.periodEnd(budget.period(), start), budget.period()));
        claims.add(new Claim(lease, estimate.costNanos, budget, null));
      }
      RateLimitConfig rate = rates[i];
      if (rate != null) {
        Instant minute = Windows.minuteStart(now);
        Instant minuteEnd = minute.plusSeconds(60);
        if (rate.rpm() != null) {
          Lease lease = leases.lease(new LeaseKey(scopeType, scopeId, LeaseKey.Kind.RPM, minute),
              k -> new Lease(k, level.get() + " limit of " + rate.rpm() + " requests per minute", rate.rpm(),
                  minuteEnd));
          claims.add(new Claim(lease, 1, null, rate));
        }
        if (rate.tpm() != null) {
          estimate = estimate == null ? estimate(request) : estimate;
          Lease lease = leases.lease(new LeaseKey(scopeType, scopeId, LeaseKey.Kind.TPM, minute),
              k -> new Lease(k, level.get() + " limit of " + rate.tpm() + " tokens per minute", rate.tpm(),
                  minuteEnd));
          claims.add(new Claim(lease, estimate.tokens, null, rate));
        }
        if (rate.maxConcurrent() != null) {
          Lease lease = leases.lease(new LeaseKey(scopeType, scopeId, LeaseKey.Kind.CONCURRENCY, null),
              k -> new Lease(k, level.get() + " limit of " + rate.maxConcurrent() + " concurrent requests",
                  rate.maxConcurrent(), null));
          claims.add(new Claim(lease, 1, null, rate));
        }
      }
    }
    return claims;
  }

  /** Tokens a request may use and what they may cost, before anything is known of its answer. */
  record Estimate(long tokens, long costNanos) {}

  /**
   * Input: the body's size over three (tokens are about four characters of English; JSON and other scripts make
   * a third safer); output: {@code max_tokens}, else the configured default. Cost at the dearest target's prices;
   * a route with no priced target costs nothing here (its usage is recorded as unpriced).
   */
  private Estimate estimate(ExchangeRequest request) {
    long input = Math.max(1, request.bodyBytes() / 3);
    long output = 0;
    if (request.endpoint() != Endpoint.EMBEDDINGS) {
      Integer max;
      try {
        max = CanonicalParts.maxTokens(request.canonical());
      } catch (RuntimeException e) {
        max = null;
      }
      output = max != null ? max : defaultOutputTokens;
    }
    PriceTable prices = request.caller().config().prices();
    double dearest = 0;
    for (RouteTable.Target target : request.plan().targets()) {
      PriceConfig price = prices.price(target.provider().name(), target.model());
      if (price != null) {
        // USD per million tokens × tokens = micro-dollars; × 1000 = nano-dollars. In doubles: this is an estimate to
        // reserve, rounded up, and settled with the exact cost (PriceTable.cost) once the answer is in.
        double nanos = (input * price.inputPerMtokUsd().doubleValue()
            + output * price.outputPerMtokUsd().doubleValue()) * 1000;
        dearest = Math.max(dearest, nanos);
      }
    }
    return new Estimate(input + output, (long) Math.ceil(dearest));
  }

  // --- refusals and headers -------------------------------------------------------------------------------------

  /** The refusal for {@code claim}, with the request's {@code x-ratelimit-*} headers as a served request gets them. */
  private static GatewayException refusal(Claim claim, boolean reachable, Map<String, String> rateHeaders) {
    Lease lease = claim.lease();
    Map<String, String> headers = new LinkedHashMap<>(rateHeaders);
    if (claim.budget() != null) {
      headers.put("x-should-retry", "false");
      Instant reset = lease.resetAt();
      String message = lease.description + (reachable ? " spent"
          : " cannot be checked: this node's share is spent and the control plane is unreachable (on_unreachable: "
              + "fail_closed)");
      if (!reachable) {
        headers.put("x-should-retry", "true");
        headers.put("retry-after", "5");
      } else if (reset != null) {
        headers.put("retry-after", Long.toString(secondsUntil(reset)));
      }
      return GatewayError.BUDGET_EXCEEDED.exception(message).withHeaders(headers);
    }
    long retryMs = lease.key.kind() == LeaseKey.Kind.CONCURRENCY || lease.resetAt() == null ? 1000
        : Math.max(1, Duration.between(Instant.now(), lease.resetAt()).toMillis());
    headers.put("retry-after", Long.toString((retryMs + 999) / 1000));
    headers.put("retry-after-ms", Long.toString(retryMs));
    return GatewayError.RATE_LIMIT_EXCEEDED.exception(lease.description + " reached").withHeaders(headers);
  }

  private static long secondsUntil(Instant reset) {
    long ms = Duration.between(Instant.now(), reset).toMillis();
    return Math.max(1, (ms + 999) / 1000);
  }

  /** {@code x-ratelimit-*} as OpenAI names them, from the tightest request and token limits. */
  private static Map<String, String> headers(List<Claim> claims) {
    Lease requests = null;
    Lease tokens = null;
    for (Claim claim : claims) {
      Lease lease = claim.lease();
      if (lease.key.kind() == LeaseKey.Kind.RPM && (requests == null || lease.remaining() < requests.remaining())) {
        requests = lease;
      } else if (lease.key.kind() == LeaseKey.Kind.TPM
          && (tokens == null || lease.remaining() < tokens.remaining())) {
        tokens = lease;
      }
    }
    if (requests == null && tokens == null) {
      return Map.of();
    }
    Map<String, String> headers = new LinkedHashMap<>();
    put(headers, "requests", requests);
    put(headers, "tokens", tokens);
    return headers;
  }

  private static void put(Map<String, String> headers, String what, Lease lease) {
    if (lease == null || lease.limit() < 0) {
      return;
    }
    boolean requests = what.equals("requests");
    headers.put(requests ? "x-ratelimit-limit-requests" : "x-ratelimit-limit-tokens", lease.limitText());
    headers.put(requests ? "x-ratelimit-remaining-requests" : "x-ratelimit-remaining-tokens",
        Long.toString(Math.min(lease.limit(), lease.remaining())));
    String reset = lease.resetHeader(System.currentTimeMillis());
    if (reset != null) {
      headers.put(requests ? "x-ratelimit-reset-requests" : "x-ratelimit-reset-tokens", reset);
    }
  }

  private static String usd(BigDecimal amount) {
    return amount.setScale(2, RoundingMode.HALF_UP).toPlainString();
  }
}
