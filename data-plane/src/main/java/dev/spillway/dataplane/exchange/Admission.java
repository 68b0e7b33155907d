package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.usage.Usage;
import java.math.BigDecimal;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Stage 3, admit: policy before any provider is called — rate limits and budgets of the key, its team and the
 * organisation. Runs on the request's event loop and must not block: it spends from what the node already holds,
 * and where that is not enough and more may be granted, it answers later (a stage that completes when the control
 * plane has answered).
 */
public interface Admission {
  /** Admits every request and reserves nothing. */
  Admission ADMIT_ALL = request -> CompletableFuture.completedFuture(Reservation.NONE);

  /**
   * Admits {@code request}, reserving what it may cost, or refuses it: by throwing, or by completing exceptionally
   * with, a {@code GatewayException} (a 429 {@code rate_limit_exceeded} or {@code budget_exceeded}). The reservation
   * travels with the request; the settle stage settles it exactly once on every path (success, provider error,
   * timeout, client disconnect), or it is cancelled when the request never ran.
   */
  CompletionStage<Reservation> admit(ExchangeRequest request);

  /** What admission set aside for one request, until the settle stage accounts for it. */
  interface Reservation {
    Reservation NONE = new Reservation() {};

    /** The request ran and consumed {@code usage}, costing {@code costUsd}: release the rest. Called once. */
    default void settle(Usage usage, BigDecimal costUsd) {}

    /** The request never reached a provider (refused later, or its client left while it waited): release all. */
    default void cancel() {}

    /** A limit in shadow mode that would have refused this request, for its usage event; or null. */
    default String shadowRefusal() {
      return null;
    }

    /** Rate-limit headers for the response ({@code x-ratelimit-*}), or an empty map. */
    default java.util.Map<String, String> headers() {
      return java.util.Map.of();
    }
  }
}
