package dev.spillway.controlplane.lease;

import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Deletes what no grant will read again: rpm and tpm leases and counters of minutes long past (nodes are refused
 * those windows), and concurrency leases released or expired a while ago. Budget leases stay for their period: a
 * node's reported spend is cumulative, and a deleted lease would count it again. Every replica schedules the
 * cleanup; an advisory lock lets one of them run it at a time.
 */
@Component
public class LeaseCleanup {
  private static final Logger log = LoggerFactory.getLogger(LeaseCleanup.class);
  /** Far beyond the previous minute that nodes may still report into. */
  static final Duration MINUTES_KEPT = Duration.ofMinutes(10);
  static final Duration CONCURRENCY_KEPT = Duration.ofMinutes(1);

  private final LeaseRepository leases;
  private final TransactionTemplate tx;

  public LeaseCleanup(LeaseRepository leases, PlatformTransactionManager txManager) {
    this.leases = leases;
    this.tx = new TransactionTemplate(txManager);
  }

  @Scheduled(fixedDelayString = "${spillway.leases.cleanup-interval-ms:60000}",
      initialDelayString = "${spillway.leases.cleanup-interval-ms:60000}")
  void scheduled() {
    try {
      cleanup();
    } catch (RuntimeException e) {
      log.warn("lease cleanup failed, will retry: {}", e.getMessage());
    }
  }

  /** Runs one cleanup; false when another replica was running one. */
  public boolean cleanup() {
    Boolean ran = tx.execute(status -> {
      if (!leases.tryCleanupLock()) {
        return false;
      }
      Instant now = leases.now();
      LeaseRepository.Deleted deleted = leases.deleteStale(now.minus(MINUTES_KEPT), now.minus(CONCURRENCY_KEPT));
      if (deleted.leases() > 0 || deleted.counters() > 0) {
        log.debug("lease cleanup deleted {} lease(s) and {} counter(s)", deleted.leases(), deleted.counters());
      }
      return true;
    });
    return Boolean.TRUE.equals(ran);
  }
}
