package dev.spillway.dataplane.governance;

import dev.spillway.config.BudgetPeriod;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * One lease this node holds (or is asking for): how much of one limit it may consume on its own. Amounts are whole
 * units — nano-dollars for budgets, requests, tokens, concurrency slots.
 *
 * <p>Event loops reserve and settle against it, the lease client refreshes it: every method is synchronized, and
 * each holds the lock for a few arithmetic operations.
 */
final class Lease {
  /** Stop spending this long before the control plane's expiry, for clock drift and the refresh in flight. */
  static final long EXPIRY_MARGIN_NANOS = 1_000_000_000L;
  /**
   * How long before its window ends a lease in use asks for the next window's (its successor): well inside the
   * control plane's {@code CLOCK_AHEAD} of 5 s, so a node whose clock runs up to 2 s ahead is still answered.
   */
  static final Duration SUCCESSOR_LEAD = Duration.ofSeconds(3);
  /** A lease taken from within this long is in use: its limit gets a successor before its window ends. */
  static final long IN_USE_NANOS = 10_000_000_000L;
  /** A successor nothing took from this long after its window began was not needed: it is given back. */
  static final Duration UNUSED_SUCCESSOR = Duration.ofSeconds(60);

  final LeaseKey key;
  /** The limit's name in refusals, e.g. {@code team 'research' monthly budget $50.00}. */
  final String description;
  /** A budget's period (its windows follow each other); null for rate limits and concurrency. */
  private final BudgetPeriod period;
  /** The configured limit as this node's snapshot has it (the control plane's answer replaces it). */
  private long limit;

  private long granted;
  /** Budgets: settled spend. RPM: requests admitted. TPM: tokens (estimates until settled). Concurrency: in flight. */
  private long used;
  /** Budgets only: estimates of the requests in flight. */
  private long reserved;
  /** What waiting requests need on top, so the next refresh asks for it. */
  private long demand;
  /** The last request's estimate: the headroom a refresh asks for is a few of these. */
  private long typical = 1;
  private long consumedSinceRefresh;
  /** Concurrency: the most requests in flight at once in this refresh interval and in the one before. */
  private long peakThisInterval;
  private long peakLastInterval;
  private double ratePerSecond;
  private long lastRefreshNanos = System.nanoTime();
  private long lastTakenNanos = System.nanoTime();
  /** By this node's clock; 0 until the first grant. */
  private long expiresAtNanos;
  private long remainingAtGrant = -1;
  private long usedAtGrant;
  private Instant resetAt;
  /** At the last refresh the fleet had no room left for a request like the last one: waiting will not help. */
  private boolean exhausted;
  private boolean released;
  /** Made by {@link #successor} before its window began, and asked for ahead of it. */
  private boolean ahead;
  private boolean askedAhead;
  /** The first report asks for the predecessor's rate instead of decaying towards what this lease saw so far. */
  private boolean seeded;
  private boolean succeeded;
  private boolean everTaken;
  private CompletableFuture<Void> nextGrant = new CompletableFuture<>();
  /** Header texts, remade when the limit changes or the second turns. */
  private long limitOfText = Long.MIN_VALUE;
  private String limitText;
  private long resetHeaderSecond = Long.MIN_VALUE;
  private String resetHeader;

  /** A rate limit's or concurrency lease. */
  Lease(LeaseKey key, String description, long limit, Instant resetAt) {
    this(key, description, limit, resetAt, null);
  }

  /** A budget's lease for the window of {@code period} that starts at the key's window start. */
  Lease(LeaseKey key, String description, long limit, Instant resetAt, BudgetPeriod period) {
    this.key = key;
    this.description = description;
    this.limit = limit;
    this.resetAt = resetAt;
    this.period = period;
  }

  /**
   * The start of the window after this lease's, or null when there is none (concurrency, a {@code total} budget):
   * windows follow the key's own start, not the control plane's {@code reset_at}, so that the successor's key is
   * the one admission computes when the window turns.
   */
  Instant nextWindowStart() {
    Instant start = key.windowStart();
    if (start == null) {
      return null;
    }
    return switch (key.kind()) {
      case RPM, TPM -> start.plusSeconds(60);
      case BUDGET -> period == null ? null : Windows.periodEnd(period, start);
      case CONCURRENCY -> null;
    };
  }

  /**
   * Whether this lease's limit should get its next window's lease now: the lease is in use and its window ends
   * within {@link #SUCCESSOR_LEAD}. Without it, every request at the turn of a minute (or a budget's period) waits
   * for the control plane's first grant of the new window, and that grant covers two requests; with it, the first
   * request of the new window finds a grant sized by the recent rate (docs/governance.md).
   */
  synchronized boolean successorDue(Instant wallNow, long nowNanos) {
    if (succeeded || released || awaitsWindow(wallNow)) {
      return false;
    }
    Instant next = nextWindowStart();
    return next != null && nowNanos - lastTakenNanos < IN_USE_NANOS && everTaken
        && !wallNow.isBefore(next.minus(SUCCESSOR_LEAD)) && wallNow.isBefore(next);
  }

  /** The same limit's lease for the next window, seeded with this one's rate; null when there is no next window. */
  synchronized Lease successor() {
    Instant next = nextWindowStart();
    if (next == null) {
      return null;
    }
    succeeded = true;
    Lease successor = new Lease(new LeaseKey(key.scopeType(), key.scopeId(), key.kind(), next), description, limit,
        null, period);
    successor.resetAt = successor.nextWindowStart(); // its window ends where the one after it starts
    successor.typical = typical;
    successor.ratePerSecond = ratePerSecond;
    successor.seeded = true;
    successor.ahead = true;
    return successor;
  }

  /** A successor whose window has not begun: asked for once, on its own, never counted as unreachable. */
  synchronized boolean awaitsWindow(Instant wallNow) {
    return ahead && key.windowStart().isAfter(wallNow);
  }

  /** True the first time only: the one call that asks for this successor ahead of its window. */
  synchronized boolean askAhead() {
    if (askedAhead) {
      return false;
    }
    askedAhead = true;
    return true;
  }

  /** A successor nothing took from, {@link #UNUSED_SUCCESSOR} into its window (its limit changed or went idle). */
  synchronized boolean unneededSuccessor(Instant wallNow) {
    return ahead && !everTaken && wallNow.isAfter(key.windowStart().plus(UNUSED_SUCCESSOR));
  }

  /** The outcome of trying to take {@code amount} from this lease. */
  enum Take { TAKEN, WAIT, REFUSED }

  /**
   * Takes {@code amount} if the lease covers it. Otherwise: {@code WAIT} when a refresh may grant more (the
   * caller waits for {@link #nextGrant()} and tries once more), {@code REFUSED} when it will not.
   *
   * @param mayWait false once the request has waited as long as it may
   * @param reachable whether the control plane answered the last call
   */
  synchronized Take take(long amount, boolean mayWait, boolean reachable, long nowNanos) {
    typical = Math.max(1, amount);
    boolean live = expiresAtNanos != 0 && nowNanos < expiresAtNanos - EXPIRY_MARGIN_NANOS;
    long holding = key.kind() == LeaseKey.Kind.BUDGET ? used + reserved : used;
    if (live && holding + amount <= granted) {
      consume(amount);
      return Take.TAKEN;
    }
    if (mayWait && reachable && !(live && exhausted)) {
      demand += amount;
      return Take.WAIT;
    }
    return Take.REFUSED;
  }

  /** Takes {@code amount} whatever the lease says: shadow mode, fail-open, or this node's own share offline. */
  synchronized void force(long amount) {
    consume(amount);
  }

  /** How long nothing was taken from this lease (by {@link System#nanoTime()}). */
  synchronized long idleFor(long nowNanos) {
    return used > 0 || reserved > 0 || demand > 0 ? 0 : nowNanos - lastTakenNanos;
  }

  private void consume(long amount) {
    lastTakenNanos = System.nanoTime();
    everTaken = true;
    if (key.kind() == LeaseKey.Kind.BUDGET) {
      reserved += amount;
    } else {
      used += amount;
    }
    peakThisInterval = Math.max(peakThisInterval, used);
    consumedSinceRefresh += key.kind() == LeaseKey.Kind.CONCURRENCY ? 1 : amount;
  }

  /** A request that took {@code taken} finished having consumed {@code actual} (same unit; ignored for rpm). */
  synchronized void settle(long taken, long actual) {
    switch (key.kind()) {
      case BUDGET -> {
        reserved = Math.max(0, reserved - taken);
        used += actual;
      }
      case TPM -> used = Math.max(0, used + actual - taken);
      case CONCURRENCY -> used = Math.max(0, used - taken);
      case RPM -> { }
    }
  }

  /** A request that took {@code taken} never ran. */
  synchronized void cancel(long taken) {
    switch (key.kind()) {
      case BUDGET -> reserved = Math.max(0, reserved - taken);
      case RPM, TPM, CONCURRENCY -> used = Math.max(0, used - taken);
    }
  }

  /** A waiting request gave up its claim on the next grant. */
  synchronized void withdrawDemand(long amount) {
    demand = Math.max(0, demand - amount);
  }

  /** What to report and ask for in the next call. */
  synchronized Report report(long nowNanos, long refreshNanos) {
    double seconds = Math.max(0.001, (nowNanos - lastRefreshNanos) / 1e9);
    double observed = consumedSinceRefresh / seconds;
    ratePerSecond = seeded ? Math.max(ratePerSecond, observed) : 0.5 * ratePerSecond + 0.5 * observed;
    seeded = false;
    consumedSinceRefresh = 0;
    lastRefreshNanos = nowNanos;
    // Enough for two refresh intervals at the recent rate, and at least two requests like the last one.
    // Concurrency: spare slots for as many requests at once as the last two intervals saw at their peak, and one at
    // least, while requests keep coming. One spare slot was not enough: a burst (a client's parallel batch, or the
    // requests that queue up behind a collector pause) then waited a round trip to the control plane.
    long peak = Math.max(peakThisInterval, peakLastInterval);
    peakLastInterval = peakThisInterval;
    peakThisInterval = used;
    long headroom = key.kind() == LeaseKey.Kind.CONCURRENCY ? (ratePerSecond > 0 ? Math.max(1, peak) : 0)
        : Math.max(2 * typical, (long) Math.ceil(ratePerSecond * 2 * refreshNanos / 1e9));
    if (limit >= 0) {
      // No node holds more than a tenth of a limit beyond what it uses: the rest stays free for the other nodes.
      headroom = Math.min(headroom, Math.max(typical, limit / 10));
    }
    if (remainingAtGrant >= 0 && remainingAtGrant < headroom && key.kind() != LeaseKey.Kind.CONCURRENCY) {
      // Little is left for the fleet: hold just enough for one request, so what remains is not stranded on a node
      // whose traffic stops while others are refused.
      headroom = Math.min(headroom, typical);
    }
    long holding = key.kind() == LeaseKey.Kind.BUDGET ? used + reserved : used;
    long want = holding + demand + headroom;
    if (limit >= 0) {
      want = Math.min(want, Math.max(holding, limit));
    }
    if (want < granted) {
      // Giving some back: stop using it now, not when the answer comes. The control plane grants at least
      // min(want, what was held), and a request taken in between from the part given back would be spent twice.
      granted = Math.max(holding, want);
    }
    // The requests waiting now are those whose demand this report carries: its answer wakes them. Requests that
    // start waiting after it wait for the next call, which carries theirs.
    CompletableFuture<Void> waiters = nextGrant;
    nextGrant = new CompletableFuture<>();
    return new Report(key, used, want, released, waiters);
  }

  /** A report, and the requests waiting for its answer. */
  record Report(LeaseKey key, long used, long want, boolean release, CompletableFuture<Void> waiters) {}

  /** The control plane's answer to a report (the caller then wakes the report's waiters). */
  synchronized void granted(long newGranted, long newLimit, long remaining, Instant newResetAt, long expiresAt,
      long recordedUsed) {
    if (expiresAtNanos == 0 && key.kind().cumulative() && recordedUsed > used) {
      // The first answer to a lease this process never held: a previous run of this node consumed recordedUsed in
      // this window, and the control plane counts it; carry on from there instead of spending it again.
      used = recordedUsed;
    }
    granted = newGranted;
    // Waiting helps while this lease or the fleet has room left (a grant below what was asked may only be a fair
    // share): it does not once neither can take a request like the last one.
    long holding = key.kind() == LeaseKey.Kind.BUDGET ? used + reserved : used;
    exhausted = newGranted - holding < typical && remaining >= 0 && remaining < typical;
    limit = newLimit;
    remainingAtGrant = remaining;
    usedAtGrant = used;
    resetAt = newResetAt;
    expiresAtNanos = expiresAt;
  }

  /** Wakes every waiting request (a released lease): they try once more and find what they find. */
  synchronized void wakeAll() {
    CompletableFuture<Void> waiters = nextGrant;
    nextGrant = new CompletableFuture<>();
    waiters.complete(null);
  }

  synchronized CompletableFuture<Void> nextGrant() {
    return nextGrant;
  }

  synchronized void markReleased() {
    released = true;
  }

  synchronized boolean isReleased() {
    return released;
  }

  /** Nothing in flight against this lease: a lease of a past window can be given back. */
  synchronized boolean idle() {
    return reserved == 0 && demand == 0 && (key.kind() != LeaseKey.Kind.CONCURRENCY || used == 0);
  }

  synchronized boolean hasDemand() {
    return demand > 0;
  }

  /** Below a third of its headroom left: refresh early rather than make a request wait. */
  synchronized boolean low(long nowNanos) {
    if (expiresAtNanos == 0 || nowNanos >= expiresAtNanos - 2 * EXPIRY_MARGIN_NANOS) {
      return true;
    }
    long holding = key.kind() == LeaseKey.Kind.BUDGET ? used + reserved : used;
    return !exhausted && granted - holding < Math.max(typical, (granted - usedAtGrant) / 3);
  }

  synchronized long limit() {
    return limit;
  }

  /** The limit as header text, made when the limit changes rather than per request. */
  synchronized String limitText() {
    if (limitOfText != limit) {
      limitOfText = limit;
      limitText = Long.toString(limit);
    }
    return limitText;
  }

  /**
   * {@code x-ratelimit-reset-*} as OpenAI writes it ({@code 12s}, {@code 1m3s}): the time until the window ends,
   * rounded up to the second; made once a second, not per request. Null for a lease without a window.
   */
  synchronized String resetHeader(long nowMillis) {
    if (resetAt == null) {
      return null;
    }
    long ms = Math.max(0, resetAt.toEpochMilli() - nowMillis);
    long second = (ms + 999) / 1000;
    if (second != resetHeaderSecond || resetHeader == null) {
      resetHeaderSecond = second;
      resetHeader = ms >= 60_000 ? ms / 60_000 + "m" + (ms % 60_000) / 1000 + "s" : second + "s";
    }
    return resetHeader;
  }

  synchronized long used() {
    return used;
  }

  synchronized long reserved() {
    return reserved;
  }

  /**
   * What this node may use while the control plane cannot be asked: what it was granted, or the grant of the same
   * limit's previous window (a node keeps the share it had), or, knowing nothing, the whole limit.
   */
  synchronized boolean coversOffline(long amount, long previousGrant) {
    long allowance = granted > 0 ? granted : previousGrant > 0 ? previousGrant : limit;
    long holding = key.kind() == LeaseKey.Kind.BUDGET ? used + reserved : used;
    return limit < 0 || holding + amount <= allowance;
  }

  /** What the fleet may still take, as far as this node knows: the control plane's count plus its own headroom. */
  synchronized long remaining() {
    long own = Math.max(0, granted - (key.kind() == LeaseKey.Kind.BUDGET ? used + reserved : used));
    return remainingAtGrant < 0 ? Math.max(0, limit - used) : remainingAtGrant + own;
  }

  synchronized Instant resetAt() {
    return resetAt;
  }

  @Override
  public synchronized String toString() {
    return "Lease[" + key + " granted=" + granted + " used=" + used + " reserved=" + reserved + "]";
  }
}
