package dev.spillway.dataplane.routing;

import dev.spillway.config.BreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowSynchronizationStrategy;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One provider key asked for one upstream model: its circuit breaker, the moving average of its time to first byte,
 * and what it has in flight from this node. The breaker is resilience4j's state machine with a lock-free time window
 * (error rate over {@code windowSeconds}), plus a count of consecutive failures that opens it at once: a dead
 * target should cost a handful of requests, not a window's worth. Half-open lets exactly one probe through.
 */
public final class TargetHealth {
  /** The breaker's view of a failure; its stack is never needed. */
  private static final Throwable FAILURE = new Exception("upstream failure", null, false, false) {};
  private static final double EWMA_WEIGHT = 0.2;

  private final KeyHealth key;
  private final String model;
  private final BreakerConfig settings;
  private final CircuitBreaker breaker;
  /** A hash of provider, key and model, for rendezvous hashing of sessions onto keys. */
  private final long idHash;
  private final AtomicInteger consecutiveFailures = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final LongAdder requests = new LongAdder();
  /** Milliseconds; NaN until the first answer. */
  private volatile double ewmaTtfbMs = Double.NaN;

  TargetHealth(KeyHealth key, String model, BreakerConfig settings) {
    this.key = key;
    this.model = model;
    this.settings = settings;
    this.idHash = TargetSelector.hash(key.provider() + '\u0000' + key.keyName() + '\u0000' + model);
    this.breaker = CircuitBreaker.of(key.provider() + "/" + key.keyName() + "/" + model, CircuitBreakerConfig.custom()
        .failureRateThreshold(settings.failureRatePercent())
        .slidingWindow(settings.windowSeconds(), settings.minimumCalls(), SlidingWindowType.TIME_BASED,
            SlidingWindowSynchronizationStrategy.LOCK_FREE)
        .waitDurationInOpenState(Duration.ofMillis(settings.openMs()))
        .permittedNumberOfCallsInHalfOpenState(1)
        // A probe whose outcome never arrives must not hold the breaker half-open forever.
        .maxWaitDurationInHalfOpenState(Duration.ofMillis(Math.max(settings.openMs(), 30_000)))
        .automaticTransitionFromOpenToHalfOpenEnabled(false)
        .build());
  }

  public KeyHealth key() {
    return key;
  }

  public String model() {
    return model;
  }

  public BreakerConfig settings() {
    return settings;
  }

  /**
   * Asks the breaker for a call: always granted while closed, never while open (until its wait is over, when this
   * call becomes the single half-open probe). A granted permission is returned by exactly one of {@link #succeeded},
   * {@link #failed}, {@link #released}.
   */
  boolean tryAcquire() {
    return breaker.tryAcquirePermission();
  }

  long idHash() {
    return idHash;
  }

  public void started() {
    requests.increment();
    inFlight.incrementAndGet();
    key.inFlight().incrementAndGet();
  }

  /** The provider answered (a response head) after {@code ttfbNanos}. */
  public void answered(long ttfbNanos) {
    double ms = ttfbNanos / 1e6;
    double previous = ewmaTtfbMs;
    ewmaTtfbMs = Double.isNaN(previous) ? ms : previous + EWMA_WEIGHT * (ms - previous);
  }

  /** The call worked (or failed through the request's own fault, which says the target is fine). */
  public void succeeded(long durationNanos) {
    if (consecutiveFailures.get() != 0) {
      consecutiveFailures.set(0); // a write only when needed: event loops share this line
    }
    breaker.onSuccess(durationNanos, TimeUnit.NANOSECONDS);
    key.markGood();
  }

  /** The call failed for a reason that may pass: unreachable, timeout, 5xx, an unreadable answer. */
  public void failed(long durationNanos) {
    breaker.onError(durationNanos, TimeUnit.NANOSECONDS, FAILURE);
    if (consecutiveFailures.incrementAndGet() >= settings.consecutiveFailures()
        && breaker.getState() == CircuitBreaker.State.CLOSED) {
      breaker.transitionToOpenState();
    }
  }

  /** The call ended without telling anything about the target (client gone, 429, refused key). */
  public void released() {
    breaker.releasePermission();
  }

  void reset() {
    breaker.reset();
    consecutiveFailures.set(0);
    ewmaTtfbMs = Double.NaN;
  }

  public void ended() {
    inFlight.decrementAndGet();
    key.inFlight().decrementAndGet();
  }

  /** {@code closed}, {@code open} or {@code half_open}. */
  public String breakerState() {
    return switch (breaker.getState()) {
      case OPEN, FORCED_OPEN -> "open";
      case HALF_OPEN -> "half_open";
      default -> "closed";
    };
  }

  public boolean isOpen() {
    CircuitBreaker.State state = breaker.getState();
    return state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN;
  }

  /**
   * The share of failed calls in the breaker's window, 0 to 1, however few calls it holds (the breaker itself waits
   * for its minimum number of calls before it judges by rate; an operator wants to see the failures before that).
   */
  public double errorRate() {
    CircuitBreaker.Metrics metrics = breaker.getMetrics();
    int calls = metrics.getNumberOfBufferedCalls();
    return calls == 0 ? 0 : (double) metrics.getNumberOfFailedCalls() / calls;
  }

  public double ewmaTtfbMs() {
    return ewmaTtfbMs;
  }

  public int inFlightNow() {
    return inFlight.get();
  }

  public long requestCount() {
    return requests.sum();
  }

  @Override
  public String toString() {
    return "TargetHealth[" + key.provider() + "/" + key.keyName() + " → " + model + ", " + breakerState() + "]";
  }
}
