package dev.spillway.dataplane.upstream;

/** A running upstream exchange, controlled from the event loop that started it. */
public interface UpstreamCall {
  /** Stops the exchange: closes its connection (never returned to the pool); no more callbacks. */
  void cancel();

  /** Backpressure: stop or resume reading the response. */
  void setReading(boolean reading);

  /** True when this call reports the end of each read batch with {@link UpstreamListener#onReadComplete()}. */
  default boolean signalsReadComplete() {
    return false;
  }
}
