package dev.spillway.controlplane.configversion;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The config version counter. Every config write calls {@link #bump()} inside its own transaction: the row lock
 * orders writers so that commit order equals version order, and the NOTIFY (delivered at commit, dropped on
 * rollback) tells every control-plane replica to rebuild its snapshot.
 *
 * <p>A transaction bumps at most once: a declarative apply or a restore that changes many resources through the
 * same services commits as one new version, and its audit events all carry that version.
 */
@Component
public class ConfigVersions {
  public static final String CHANNEL = "spillway_config";
  private static final Object BUMPED = new Object();

  private final JdbcClient jdbc;

  public ConfigVersions(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /** Increments the version (once per transaction); must run inside the transaction that makes the change. */
  @Transactional(propagation = Propagation.MANDATORY)
  public long bump() {
    Object already = TransactionSynchronizationManager.getResource(BUMPED);
    if (already instanceof Long version) {
      return version;
    }
    long version = jdbc.sql("UPDATE config_version SET version = version + 1, changed_at = now(), "
            + "restored_from = NULL RETURNING version")
        .query(Long.class).single();
    jdbc.sql("SELECT pg_notify(?, ?)").params(CHANNEL, Long.toString(version)).query((rs, i) -> 1).list();
    TransactionSynchronizationManager.bindResource(BUMPED, version);
    TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
      @Override
      public void afterCompletion(int status) {
        TransactionSynchronizationManager.unbindResourceIfPossible(BUMPED);
      }
    });
    return version;
  }

  /** Marks the version this transaction bumped to as a restore of {@code restoredFrom}. */
  @Transactional(propagation = Propagation.MANDATORY)
  public void markRestoredFrom(long restoredFrom) {
    bump();
    jdbc.sql("UPDATE config_version SET restored_from = ?").param(restoredFrom).update();
  }

  /**
   * Locks the counter without bumping it, so a writer that first compares (declarative apply, built-in prices)
   * sees no concurrent change between its comparison and its write.
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public long lock() {
    return jdbc.sql("SELECT version FROM config_version FOR UPDATE").query(Long.class).single();
  }

  public long current() {
    return jdbc.sql("SELECT version FROM config_version").query(Long.class).single();
  }
}
