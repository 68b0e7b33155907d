package dev.spillway.dataplane.exchange;

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
}
