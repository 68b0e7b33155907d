package dev.spillway.controlplane.cache;

import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Deletes expired cache entries in the background, every minute, in batches of {@link #BATCH} rows (each its own
 * short transaction, so nodes writing entries never wait long), until no expired entry is left or a run has
 * deleted {@link #MAX_BATCHES_PER_RUN} batches (a backlog drains over the next runs). Nodes never serve an expired
 * entry anyway; this keeps the table and its HNSW index from growing with dead rows. Every replica runs it:
 * batches skip rows another replica is deleting.
 */
@Component
public class CachePurger {
  private static final Logger log = LoggerFactory.getLogger(CachePurger.class);
  static final int BATCH = 5_000;
  static final int MAX_BATCHES_PER_RUN = 100;

  private final CacheRepository cache;

  public CachePurger(CacheRepository cache) {
    this.cache = cache;
  }

  @Scheduled(fixedDelayString = "${spillway.cache-purge-interval-ms:60000}",
      initialDelayString = "${spillway.cache-purge-interval-ms:60000}")
  void scheduled() {
    try {
      long deleted = purge(Instant.now());
      if (deleted > 0) {
        log.debug("cache purge deleted {} expired entries", deleted);
      }
    } catch (RuntimeException e) {
      log.warn("cache purge failed, will run again: {}", e.getMessage());
    }
  }

  /** One run as of {@code now}: answers how many expired entries it deleted. */
  public long purge(Instant now) {
    long total = 0;
    for (int i = 0; i < MAX_BATCHES_PER_RUN; i++) {
      int deleted = cache.purgeExpired(now, BATCH);
      total += deleted;
      if (deleted < BATCH) {
        break;
      }
    }
    return total;
  }
}
