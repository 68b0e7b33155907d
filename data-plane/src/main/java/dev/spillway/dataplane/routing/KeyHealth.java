package dev.spillway.dataplane.routing;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * What this node knows about one provider key: whether the provider refused it (bad until the next snapshot, or a
 * probe after a while), whether it is cooling down after a 429, and how much room the provider last said it has
 * (its rate-limit headers). Shared by every event loop: plain volatile fields, each written whole, since a stale read
 * costs at worst one request that a fresher one would have sent elsewhere.
 */
public final class KeyHealth {
  private final String provider;
  private final String keyName;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile long coolingUntilNanos = System.nanoTime();
  private volatile boolean bad;
  private volatile long badSinceNanos;
  private volatile RateLimitHeaders.Room room = RateLimitHeaders.Room.UNKNOWN;

  KeyHealth(String provider, String keyName) {
    this.provider = provider;
    this.keyName = keyName;
  }

  public String provider() {
    return provider;
  }

  /** The credential's name, or {@code "-"} for a provider without credentials. */
  public String keyName() {
    return keyName;
  }

  /**
   * Whether a request may use this key at {@code nowNanos}: not refused by the provider (unless a probe is due after
   * {@code badKeyProbeNanos}), not cooling down, not reported out of room before its reset.
   */
  boolean usable(long nowNanos, long badKeyProbeNanos) {
    if (bad && nowNanos - badSinceNanos < badKeyProbeNanos) {
      return false;
    }
    return nowNanos - coolingUntilNanos >= 0 && !room.exhaustedAt(nowNanos);
  }

  /** When this key is usable again (for a {@code Retry-After}), as nanos; {@code nowNanos} when it is now. */
  long usableAgainNanos(long nowNanos, long badKeyProbeNanos) {
    long at = nowNanos;
    if (bad) {
      at = Math.max(at, badSinceNanos + badKeyProbeNanos);
    }
    if (coolingUntilNanos - at > 0) {
      at = coolingUntilNanos;
    }
    return Math.max(at, room.resetNanos(nowNanos));
  }

  /** The provider refused the key (401/403): out until the next snapshot, or a single probe after a while. */
  public void markBad(long nowNanos) {
    badSinceNanos = nowNanos;
    bad = true;
  }

  /** The key worked: a probe of a bad key succeeded, or it never was bad. */
  void markGood() {
    if (bad) {
      bad = false;
    }
  }

  /** A 429: no request uses the key until {@code untilNanos}. */
  public void coolDown(long untilNanos) {
    if (untilNanos - coolingUntilNanos > 0) {
      coolingUntilNanos = untilNanos;
    }
  }

  public void room(RateLimitHeaders.Room room) {
    this.room = room;
  }

  void reset() {
    coolingUntilNanos = System.nanoTime();
    bad = false;
    room = RateLimitHeaders.Room.UNKNOWN;
  }

  /** Forgets a refusal: a new snapshot may carry a new secret under the same name. */
  void forgetBad() {
    bad = false;
  }

  public boolean isBad() {
    return bad;
  }

  /** Nanos until the cooldown ends, or 0. */
  public long coolingForNanos(long nowNanos) {
    return Math.max(0, coolingUntilNanos - nowNanos);
  }

  public RateLimitHeaders.Room room() {
    return room;
  }

  AtomicInteger inFlight() {
    return inFlight;
  }

  public int inFlightNow() {
    return inFlight.get();
  }

  @Override
  public String toString() {
    return "KeyHealth[" + provider + "/" + keyName + (bad ? ", bad" : "") + "]";
  }
}
