package dev.spillway.dataplane.exchange;

/**
 * Stage 3, admit: policy before any provider is called — rate limits and budgets of the key, its team and the
 * organisation. Runs on the request's event loop and must not block (it spends from what the node already holds).
 * The seam is empty today ({@link #ADMIT_ALL}); governance fills it.
 */
public interface Admission {
  /** Admits every request and reserves nothing. */
  Admission ADMIT_ALL = request -> Reservation.NONE;

  /**
   * Admits {@code request}, reserving what it may cost, or refuses it by throwing a {@code GatewayException} (a 429
   * {@code rate_limit_exceeded} or {@code budget_exceeded}). The reservation travels with the request and the settle
   * stage releases it exactly once, on every path: success, provider error, timeout, client disconnect.
   */
  Reservation admit(ExchangeRequest request);

  /** What admission set aside for one request, until the settle stage accounts for it. */
  interface Reservation {
    Reservation NONE = new Reservation() {};
  }
}
