package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.metrics.RequestObserver;
import dev.spillway.dataplane.routing.RouteTable;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * Where one request stands in its route's plan, and what a failed attempt leads to. Attempts run in plan order
 * (primary target, other targets, fallbacks), each target up to the route's {@code max_attempts} with exponential
 * backoff. Shared by every proxy that calls a provider, so that all of them read provider failures the same way.
 * Touched only from the request's event loop.
 */
final class Attempts {
  /** What to do after a failed attempt. */
  sealed interface Next permits Again, GiveUp {}

  /** Attempt again ({@link #target()} may now be another target) after {@code backoffMs}. */
  record Again(long backoffMs) implements Next {}

  /** Answer the client with this error. */
  record GiveUp(GatewayError error, String message) implements Next {}

  private final RouteTable.Plan plan;
  private int targetIndex;
  private int attemptOnTarget;
  private int count;
  private boolean allTimeouts = true;
  private GatewayError lastError = GatewayError.UPSTREAM_ERROR;
  private String lastRetryAfter;

  Attempts(RouteTable.Plan plan) {
    this.plan = plan;
  }

  RouteTable.Target target() {
    return plan.targets().get(targetIndex);
  }

  /** Counts an attempt about to start and says which kind it is. */
  RequestObserver.Attempt start() {
    count++;
    return count == 1 ? RequestObserver.Attempt.FIRST
        : attemptOnTarget > 0 ? RequestObserver.Attempt.RETRY : RequestObserver.Attempt.FALLBACK;
  }

  /** Attempts started so far (the {@code x-spillway-attempts} header). */
  int count() {
    return count;
  }

  /**
   * A complete non-2xx answer from the provider. Rate limits, timeouts and 5xx are retried on the same target;
   * refused credentials (401, 403, or what the adapter recognises as such) and unknown models fall back to the next
   * target; 413 and other 4xx are the request's own fault and go back to the client, as another provider would
   * refuse them too.
   */
  Next afterErrorStatus(int status, String providerMessage, String retryAfter, boolean credentialError) {
    String name = target().provider().name();
    String message = name + " answered " + status + ": " + providerMessage;
    if (status == 429) {
      lastRetryAfter = retryAfter;
      return failed(GatewayError.RATE_LIMIT_EXCEEDED, message, false, true, true);
    } else if (status == 408) {
      return failed(GatewayError.UPSTREAM_TIMEOUT, message, true, true, true);
    } else if (status >= 500) {
      return failed(GatewayError.UPSTREAM_ERROR, message, false, true, true);
    } else if (status == 401 || status == 403 || credentialError) {
      return failed(GatewayError.UPSTREAM_ERROR, name + " refused Spillway's credentials (" + status + "): "
          + providerMessage, false, false, true);
    } else if (status == 404) {
      return failed(GatewayError.MODEL_NOT_FOUND, message, false, false, true);
    } else if (status == 413) {
      return new GiveUp(GatewayError.REQUEST_TOO_LARGE, message);
    }
    return new GiveUp(GatewayError.INVALID_REQUEST, message);
  }

  /**
   * An attempt failed with {@code error}: retry the same target while it has attempts left and
   * {@code retrySameTarget}, else fall back to the next target if {@code mayFallBack}, else give up. After several
   * attempts the client learns that every target failed (a timeout only when every attempt timed out).
   */
  Next failed(GatewayError error, String message, boolean timeout, boolean retrySameTarget, boolean mayFallBack) {
    lastError = error;
    allTimeouts &= timeout;
    if (retrySameTarget && attemptOnTarget + 1 < plan.retry().maxAttempts()) {
      attemptOnTarget++;
      return new Again(plan.retry().initialBackoffMs() << Math.min(attemptOnTarget - 1, 16));
    }
    if (mayFallBack && targetIndex + 1 < plan.targets().size()) {
      targetIndex++;
      attemptOnTarget = 0;
      return new Again(0);
    }
    if (plan.targets().size() > 1 || count > 1) {
      if (allTimeouts) {
        return new GiveUp(GatewayError.UPSTREAM_TIMEOUT, "every target timed out; last: " + message);
      }
      return new GiveUp(lastError == GatewayError.UPSTREAM_TIMEOUT ? GatewayError.UPSTREAM_ERROR : lastError,
          "every target failed; last: " + message);
    }
    return new GiveUp(lastError, message);
  }

  /** Headers of an error answer: the attempts made and, for a rate limit, the provider's {@code Retry-After}. */
  HttpHeaders errorHeaders(GatewayError error) {
    HttpHeaders extra = new DefaultHttpHeaders();
    extra.set(Exchange.ATTEMPTS_HEADER, Integer.toString(count));
    if (error == GatewayError.RATE_LIMIT_EXCEEDED) {
      extra.set(HttpHeaderNames.RETRY_AFTER, lastRetryAfter == null ? "1" : lastRetryAfter);
    }
    return extra;
  }
}
