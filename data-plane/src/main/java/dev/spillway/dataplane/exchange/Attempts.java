package dev.spillway.dataplane.exchange;

import dev.spillway.config.RetryConfig;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.metrics.RequestObserver;
import dev.spillway.dataplane.routing.RateLimitHeaders;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.routing.TargetHealth;
import dev.spillway.dataplane.routing.TargetSelector;
import dev.spillway.dataplane.usage.AttemptRecord;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Where one request stands in its route's plan, and what each attempt's outcome leads to. Shared by every kind of
 * request, so that all of them read provider failures the same way; touched only from the request's event loop.
 *
 * <ul>
 *   <li>Targets are tried in the order {@link TargetSelector} gives (strategy, session, health), each up to the
 *       route's {@code max_attempts}; a target with no usable key (breakers open, keys cooling down or refused) is
 *       skipped without an attempt.
 *   <li>Within a target, a 429 cools its key down for the provider's {@code Retry-After} (or the provider's default)
 *       and a refused credential (401/403) takes its key out; either way the next key of the same target is tried at
 *       once, without spending one of the target's attempts, before any other target.
 *   <li>Unreachable, timeouts and 5xx are retried on the same target after a backoff with full jitter (uniform below
 *       a doubling ceiling), at least the provider's {@code Retry-After} when it names one within the route's cap,
 *       and count against the target's breaker.
 *   <li>400, 413, 422 and other 4xx are the request's fault and go back to the client at once; 404 (the target does
 *       not know its model) moves to the next target without a retry.
 *   <li>No attempt starts, and no backoff is waited, past the route's deadline.
 * </ul>
 *
 * <p>Every attempt that {@link #next} starts ends in exactly one of {@link #succeeded}, {@link #afterErrorStatus},
 * {@link #failed}, {@link #streamFailed} or {@link #abandoned}, which settles its breaker permission and in-flight
 * count.
 */
final class Attempts {
  /** What to do next. */
  sealed interface Next permits Go, Again, GiveUp {}

  /** Send to {@code target} (the chosen key pinned) now. */
  record Go(RouteTable.Target target) implements Next {}

  /** Call {@link #next} again after {@code delayMs}. */
  record Again(long delayMs) implements Next {}

  /** Answer the client with this error. */
  record GiveUp(GatewayError error, String message) implements Next {}

  private final RouteTable.Plan plan;
  private final String sessionId;
  private final long deadlineNanos;
  private final RetryConfig retry;
  private List<RouteTable.Target> order;
  private int targetIndex;
  private int attemptOnTarget;
  /** Keys of the current target this request may not use again (bit {@code i} for key {@code i}). */
  private long triedKeys;
  private int count;
  private RequestObserver.Attempt kind = RequestObserver.Attempt.FIRST;
  private int previousTargetIndex = -1;

  /** The attempt in flight: its key's health, the key's index and the pinned target; null between attempts. */
  private TargetHealth current;
  private int currentKey;
  private RouteTable.Target currentTarget;
  private long attemptStartNanos;

  /** What each attempt did, for the request log. */
  private final AttemptTrail trail;
  /** The attempt in flight's provider status (0 before one) and error code, for {@link #trail}. */
  private int attemptStatus;
  private String attemptError;

  private boolean allTimeouts = true;
  private GatewayError lastError = GatewayError.UPSTREAM_ERROR;
  private String lastMessage;
  private String lastRetryAfter;

  Attempts(RouteTable.Plan plan, String sessionId, long startNanos) {
    this.plan = plan;
    this.sessionId = plan.sticky() ? sessionId : null;
    this.retry = plan.retry();
    this.deadlineNanos = retry.deadlineMs() > 0 ? startNanos + retry.deadlineMs() * 1_000_000 : 0;
    this.trail = new AttemptTrail(startNanos);
  }

  /** The next attempt: a target with a usable key, or the error for the client when none is left. */
  Next next(long nowNanos) {
    if (order == null) {
      order = TargetSelector.order(plan, sessionId, nowNanos, badKeyProbeNanos(plan.targets().get(0)));
    }
    if (count > 0 && pastDeadline(nowNanos, 0)) {
      return deadlinePassed();
    }
    while (targetIndex < order.size()) {
      RouteTable.Target target = order.get(targetIndex);
      if (attemptOnTarget < retry.maxAttempts()) {
        int key = TargetSelector.pickKey(target, plan.strategy(), sessionId, triedKeys, nowNanos,
            badKeyProbeNanos(target));
        if (key >= 0) {
          count++;
          attemptOnTarget++;
          kind = count == 1 ? RequestObserver.Attempt.FIRST
              : previousTargetIndex == targetIndex ? RequestObserver.Attempt.RETRY : RequestObserver.Attempt.FALLBACK;
          previousTargetIndex = targetIndex;
          current = target.keys().get(key);
          currentKey = key;
          currentTarget = target.withKey(key);
          attemptStartNanos = nowNanos;
          attemptStatus = 0;
          attemptError = null;
          current.started();
          return new Go(currentTarget);
        }
      }
      advance();
    }
    return count == 0 ? nothingUsable(nowNanos) : exhausted();
  }

  /** The target of the attempt in flight, or of the last one; the plan's first before any. */
  RouteTable.Target target() {
    return currentTarget != null ? currentTarget : plan.targets().get(0);
  }

  /** Whether the attempt in flight is a first try, a retry of the same target, or a fallback. */
  RequestObserver.Attempt kind() {
    return kind;
  }

  /** Every attempt that has ended, in order. */
  List<AttemptRecord> trail() {
    return trail.records();
  }

  /** Attempts started so far (the {@code x-spillway-attempts} header). */
  int count() {
    return count;
  }

  /** Milliseconds left before the route's deadline, or {@code Long.MAX_VALUE} without one. */
  long remainingMs(long nowNanos) {
    return deadlineNanos == 0 ? Long.MAX_VALUE : Math.max(1, (deadlineNanos - nowNanos) / 1_000_000);
  }

  /**
   * The provider answered the attempt in flight (a response head): its time to first byte, and the room its
   * rate-limit headers report for the key.
   */
  void answered(HttpHeaders headers, long nowNanos) {
    if (current != null) {
      current.answered(nowNanos - attemptStartNanos);
      RateLimitHeaders.Room room = RateLimitHeaders.read(headers, nowNanos);
      if (room != null) {
        current.key().room(room);
      }
    }
  }

  /** The attempt worked, or failed by the request's own fault (the target is fine). */
  void succeeded(long nowNanos) {
    if (current != null) {
      current.succeeded(nowNanos - attemptStartNanos);
      end();
    }
  }

  /** The attempt ended without saying anything about the target: the client left, or the exchange gave up. */
  void abandoned() {
    if (current != null) {
      if (attemptStatus == 0 && attemptError == null) {
        attemptError = "abandoned";
      }
      current.released();
      end();
    }
  }

  /** A stream failed after the client had part of it: counts against the target, but nothing is retried. */
  void streamFailed(long nowNanos) {
    if (current != null) {
      attemptError = "stream_failed";
      current.failed(nowNanos - attemptStartNanos);
      end();
    }
  }

  /** A complete non-2xx answer from the provider: see the class comment for what each status leads to. */
  Next afterErrorStatus(int status, String providerMessage, HttpHeaders headers, boolean credentialError,
      long nowNanos) {
    String name = target().provider().name();
    String message = name + " answered " + status + ": " + providerMessage;
    attemptStatus = status;
    if (status == 429) {
      return rateLimited(message, headers, nowNanos);
    } else if (status == 401 || status == 403 || credentialError) {
      return keyRefused(name + " refused Spillway's credentials (" + status + "): " + providerMessage, nowNanos);
    } else if (status == 408) {
      return failed(GatewayError.UPSTREAM_TIMEOUT, message, true, true, true, retryAfterMs(headers), nowNanos);
    } else if (status >= 500) {
      return failed(GatewayError.UPSTREAM_ERROR, message, false, true, true, retryAfterMs(headers), nowNanos);
    } else if (status == 404) {
      abandoned();
      return moveOn(GatewayError.MODEL_NOT_FOUND, message, false);
    }
    succeeded(nowNanos);
    return new GiveUp(status == 413 ? GatewayError.REQUEST_TOO_LARGE : GatewayError.INVALID_REQUEST, message);
  }

  /**
   * The attempt failed for a reason that may pass (unreachable, timeout, an unreadable or oversized answer, an error
   * in the stream before any content): it counts against the target's breaker; then the same target is tried again
   * if {@code retrySameTarget} and it has attempts left, else the next target if {@code mayFallBack}.
   */
  Next failed(GatewayError error, String message, boolean timeout, boolean retrySameTarget, boolean mayFallBack,
      long nowNanos) {
    return failed(error, message, timeout, retrySameTarget, mayFallBack, -1, nowNanos);
  }

  private Next failed(GatewayError error, String message, boolean timeout, boolean retrySameTarget,
      boolean mayFallBack, long retryAfterMs, long nowNanos) {
    if (current != null) {
      if (attemptError == null) {
        attemptError = error.code();
      }
      current.failed(nowNanos - attemptStartNanos);
      end();
    }
    record(error, message, timeout);
    RouteTable.Target target = order.get(targetIndex);
    if (retrySameTarget && attemptOnTarget < retry.maxAttempts() && retryAfterMs <= retry.maxRetryAfterMs()
        && TargetSelector.hasUsableKey(target, triedKeys, nowNanos, badKeyProbeNanos(target))) {
      long ceiling = retry.backoffCeilingMs(attemptOnTarget);
      long backoff = ceiling == 0 ? 0 : ThreadLocalRandom.current().nextLong(ceiling + 1);
      backoff = Math.max(backoff, retryAfterMs);
      if (!pastDeadline(nowNanos, backoff)) {
        return new Again(backoff);
      }
    }
    return mayFallBack ? moveOn(lastError, message, timeout) : exhausted();
  }

  private Next rateLimited(String message, HttpHeaders headers, long nowNanos) {
    long retryAfterMs = retryAfterMs(headers);
    long coolMs = retryAfterMs >= 0 ? retryAfterMs : cooldownMs();
    if (current != null) {
      current.key().coolDown(nowNanos + Math.max(coolMs, 1) * 1_000_000);
    }
    lastRetryAfter = retryAfterMs >= 0 ? Long.toString(Math.max(1, (retryAfterMs + 999) / 1000))
        : Long.toString(Math.max(1, (coolMs + 999) / 1000));
    Next rotated = rotateKey(GatewayError.RATE_LIMIT_EXCEEDED, message, nowNanos);
    if (rotated != null) {
      return rotated;
    }
    if (targetIndex + 1 >= order.size() && retryAfterMs >= 0 && retryAfterMs <= retry.maxRetryAfterMs()
        && attemptOnTarget + 1 < retry.maxAttempts() && !pastDeadline(nowNanos, retryAfterMs)) {
      // The last target has retries left and the provider says when it has room again: wait rather than fail.
      attemptOnTarget++; // the rate-limited attempt counts after all
      triedKeys = 0;
      return new Again(retryAfterMs + 1);
    }
    return moveOn(GatewayError.RATE_LIMIT_EXCEEDED, message, false);
  }

  private Next keyRefused(String message, long nowNanos) {
    if (current != null) {
      current.key().markBad(nowNanos);
    }
    Next rotated = rotateKey(GatewayError.UPSTREAM_ERROR, message, nowNanos);
    return rotated != null ? rotated : moveOn(GatewayError.UPSTREAM_ERROR, message, false);
  }

  /** The key in flight is out: the next key of the same target, at once and without spending an attempt, if any. */
  private Next rotateKey(GatewayError error, String message, long nowNanos) {
    record(error, message, false);
    triedKeys |= 1L << Math.min(currentKey, 63);
    attemptOnTarget--;
    abandoned();
    RouteTable.Target target = order.get(targetIndex);
    return TargetSelector.hasUsableKey(target, triedKeys, nowNanos, badKeyProbeNanos(target)) ? new Again(0) : null;
  }

  /** The attempt's request could not be built for its target (no breaker verdict): on to the next target. */
  Next skipTarget(GatewayError error, String message) {
    abandoned();
    return moveOn(error, message, false);
  }

  /** On to the next target, or give up when there is none. */
  private Next moveOn(GatewayError error, String message, boolean timeout) {
    record(error, message, timeout);
    if (targetIndex + 1 < order.size()) {
      advance();
      return new Again(0);
    }
    targetIndex = order.size();
    return exhausted();
  }

  private void advance() {
    targetIndex++;
    attemptOnTarget = 0;
    triedKeys = 0;
  }

  private void record(GatewayError error, String message, boolean timeout) {
    lastError = error;
    if (message != null) {
      lastMessage = message;
    }
    allTimeouts &= timeout;
  }

  private void end() {
    current.ended();
    trail.add(currentTarget, attemptStatus == 0 && attemptError == null ? 200 : attemptStatus, attemptError,
        attemptStartNanos, System.nanoTime());
    current = null;
  }

  /** Every target was tried (or skipped) after at least one attempt. */
  private GiveUp exhausted() {
    String message = lastMessage == null ? "no target could be tried" : lastMessage;
    if (count > 1 || order.size() > 1) {
      if (allTimeouts) {
        return new GiveUp(GatewayError.UPSTREAM_TIMEOUT, "every target timed out; last: " + message);
      }
      return new GiveUp(lastError == GatewayError.UPSTREAM_TIMEOUT ? GatewayError.UPSTREAM_ERROR : lastError,
          "every target failed; last: " + message);
    }
    return new GiveUp(lastError, message);
  }

  /** No target had a usable key before any attempt: answered at once, saying when to come back. */
  private GiveUp nothingUsable(long nowNanos) {
    long soonest = Long.MAX_VALUE;
    boolean anyOpen = false;
    boolean onlyRefused = true;
    for (RouteTable.Target target : order) {
      soonest = Math.min(soonest, TargetSelector.usableAgainNanos(target, nowNanos, badKeyProbeNanos(target)));
      for (TargetHealth key : target.keys()) {
        anyOpen |= key.isOpen();
        onlyRefused &= key.key().isBad();
      }
    }
    long seconds = Math.max(1, (Math.max(0, soonest - nowNanos) + 999_999_999L) / 1_000_000_000L);
    lastRetryAfter = Long.toString(seconds);
    String route = plan.routeName() != null ? "route " + plan.routeName() : plan.requestedModel();
    if (anyOpen) {
      return new GiveUp(GatewayError.UPSTREAM_UNAVAILABLE, "every target of " + route
          + " is failing (circuit breakers open); retry in " + seconds + " s");
    }
    if (onlyRefused) {
      return new GiveUp(GatewayError.UPSTREAM_ERROR, "every provider key of " + route
          + " was refused by its provider");
    }
    return new GiveUp(GatewayError.RATE_LIMIT_EXCEEDED, "every provider key of " + route
        + " is at its provider's rate limit; retry in " + seconds + " s");
  }

  private GiveUp deadlinePassed() {
    targetIndex = order.size();
    return new GiveUp(allTimeouts ? GatewayError.UPSTREAM_TIMEOUT : lastError == GatewayError.UPSTREAM_TIMEOUT
        ? GatewayError.UPSTREAM_ERROR : lastError, "the route's deadline of " + retry.deadlineMs()
        + " ms passed after " + count + " attempt(s); last: " + lastMessage);
  }

  private boolean pastDeadline(long nowNanos, long waitMs) {
    return deadlineNanos != 0 && nowNanos + waitMs * 1_000_000 - deadlineNanos >= 0;
  }

  private long cooldownMs() {
    return currentTarget.provider().config().breaker().rateLimitCooldownMs();
  }

  private static long badKeyProbeNanos(RouteTable.Target target) {
    return target.provider().config().breaker().badKeyProbeMs() * 1_000_000;
  }

  /**
   * A provider's {@code Retry-After} (seconds, or an HTTP date) or {@code retry-after-ms} (Azure, OpenAI), in
   * milliseconds; -1 when it names none.
   */
  static long retryAfterMs(HttpHeaders headers) {
    if (headers == null) {
      return -1;
    }
    String ms = headers.get("retry-after-ms");
    if (ms != null) {
      try {
        return Math.max(0, (long) Double.parseDouble(ms.trim()));
      } catch (NumberFormatException ignored) {
        // fall through to Retry-After
      }
    }
    String value = headers.get(HttpHeaderNames.RETRY_AFTER);
    if (value == null || value.isBlank()) {
      return -1;
    }
    try {
      return Math.max(0, (long) (Double.parseDouble(value.trim()) * 1000));
    } catch (NumberFormatException e) {
      try {
        long at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
        return Math.max(0, at - System.currentTimeMillis());
      } catch (DateTimeParseException unreadable) {
        return -1;
      }
    }
  }

  /** Headers of an error answer: the attempts made and, for a rate limit or unavailability, when to retry. */
  HttpHeaders errorHeaders(GatewayError error) {
    HttpHeaders extra = new DefaultHttpHeaders();
    extra.set(Exchange.ATTEMPTS_HEADER, Integer.toString(count));
    if (currentTarget != null) {
      extra.set(Exchange.PROVIDER_HEADER, currentTarget.provider().name());
      extra.set(Exchange.MODEL_HEADER, currentTarget.model());
    }
    if (error == GatewayError.RATE_LIMIT_EXCEEDED || error == GatewayError.UPSTREAM_UNAVAILABLE) {
      extra.set(HttpHeaderNames.RETRY_AFTER, lastRetryAfter == null ? "1" : lastRetryAfter);
    }
    return extra;
  }
}
