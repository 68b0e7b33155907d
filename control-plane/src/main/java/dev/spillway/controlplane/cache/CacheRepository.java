package dev.spillway.controlplane.cache;

import dev.spillway.config.CacheInvalidation;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The shared cache tier ({@code cache_entries}, written by the nodes) as the control plane touches it: deleting
 * what an admin invalidates, purging what has expired, and the record of invalidations that snapshots carry.
 */
public interface CacheRepository {
  /**
   * Deletes the entries in the scope: every team of the organisation ({@code ALL}, {@code id} null), one team, or
   * what one virtual key stored. Answers how many were deleted.
   */
  long deleteEntries(CacheInvalidation.Scope scope, UUID id);

  /** Records an invalidation; {@code deleted} is what {@link #deleteEntries} answered for it. */
  void recordInvalidation(CacheInvalidation invalidation, long deleted);

  /** The organisation's invalidations at or after {@code since}, oldest first. */
  List<CacheInvalidation> invalidationsSince(Instant since);

  /**
   * Deletes up to {@code limit} entries that expired before {@code now}, skipping rows another transaction holds
   * (another replica's purge, a node's write). Answers how many were deleted.
   */
  int purgeExpired(Instant now, int limit);
}
