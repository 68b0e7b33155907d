package dev.spillway.controlplane.lease;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Counters and leases in PostgreSQL, in the caller's transaction. The leases of a window change only under that
 * window's counter lock (the cleanup deletes only what no grant can touch, or skips what one has locked).
 */
interface LeaseRepository {
  /** The database's clock, to the millisecond: all replicas judge expiry and windows by the same clock. */
  Instant now();

  /** Makes a lock wait of this transaction fail after {@code timeout} instead of queueing without end. */
  void limitLockWait(Duration timeout);

  /**
   * A window to create a counter for when it has none.
   *
   * @param spendUntil for a budget, the period's end: the counter starts at the spend recorded in
   *                   {@code usage_hourly} from the window's start until then (null: without end)
   */
  record CounterSeed(LeaseKey key, Instant spendUntil) {}

  /** Creates the counters that do not exist yet, in key order. */
  void createMissingCounters(List<CounterSeed> seeds);

  /** Locks the counters of these windows in key order (each must exist) and returns what each has consumed. */
  Map<LeaseKey, BigDecimal> lockCounters(Collection<LeaseKey> keys);

  /** This node's leases of these windows, live or not. */
  Map<LeaseKey, StoredLease> leasesOf(String nodeId, Collection<LeaseKey> keys);

  /** The live leases of other nodes in these windows. */
  Map<LeaseKey, List<StoredLease>> liveLeasesOfOthers(String nodeId, Collection<LeaseKey> keys, Instant now);

  /** A lease as a grant leaves it. */
  record LeaseRow(LeaseKey key, BigDecimal granted, BigDecimal used, BigDecimal want, Instant expiresAt,
      Instant releasedAt) {}

  void saveLeases(String nodeId, List<LeaseRow> rows);

  void saveConsumed(Map<LeaseKey, BigDecimal> consumed);

  /**
   * Takes the cleanup's advisory lock for the rest of the transaction, so that one replica cleans up at a time;
   * false when another one holds it.
   */
  boolean tryCleanupLock();

  /** What {@link #deleteStale} removed. */
  record Deleted(int leases, int counters) {}

  /**
   * Deletes rpm and tpm leases and counters of minutes that began before {@code minutesBefore}, and concurrency
   * leases released or expired before {@code concurrencyBefore}. Concurrency leases that a grant has locked at the
   * moment are left for the next run: waiting for them could deadlock with the grant.
   */
  Deleted deleteStale(Instant minutesBefore, Instant concurrencyBefore);
}
