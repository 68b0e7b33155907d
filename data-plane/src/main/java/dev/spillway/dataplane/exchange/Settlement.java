package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.error.GatewayException;

/**
 * Stage 7, settle: what a finished request leaves behind — usage and cost, the release of its admission reservation,
 * a cache write. Called exactly once per exchange that passed admission, on the request's event loop, on every path
 * (answer, error, client gone). Must not block: anything slow is handed to a bounded queue. The seam is empty today
 * ({@link #NONE}); governance, the cache and request logs fill it.
 */
public interface Settlement {
  /** Settles nothing. */
  Settlement NONE = outcome -> {};

  void settle(Outcome outcome);

  /**
   * Admission refused {@code request} with {@code refusal} (a limit): nothing ran and nothing was reserved, but the
   * refusal is recorded like any other request. Called on the event loop; must not block.
   */
  default void refused(ExchangeRequest request, GatewayException refusal, long startNanos) {}
}
