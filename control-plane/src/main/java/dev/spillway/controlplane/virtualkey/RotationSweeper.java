package dev.spillway.controlplane.virtualkey;

import dev.spillway.controlplane.audit.AuditLog;
import dev.spillway.controlplane.configversion.ConfigVersions;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Revokes a rotated key once its grace period is over. Nodes already refuse it from its expiry on (the grace end
 * is its {@code expires_at}); this makes the control plane say so too, and drops it from the next snapshot.
 * Only keys that have a successor (were rotated) are revoked; a key that merely expired stays active so an admin
 * can extend it. Every replica sweeps; the row update is idempotent, so they never revoke twice.
 */
@Component
public class RotationSweeper {
  private static final Logger log = LoggerFactory.getLogger(RotationSweeper.class);

  private final JdbcClient jdbc;
  private final ConfigVersions versions;
  private final AuditLog audit;
  private final TransactionTemplate tx;

  public RotationSweeper(JdbcClient jdbc, ConfigVersions versions, AuditLog audit, PlatformTransactionManager txm) {
    this.jdbc = jdbc;
    this.versions = versions;
    this.audit = audit;
    this.tx = new TransactionTemplate(txm);
  }

  @Scheduled(fixedDelayString = "${spillway.rotation-sweep-interval-ms:30000}",
      initialDelayString = "${spillway.rotation-sweep-interval-ms:30000}")
  void scheduled() {
    try {
      sweep();
    } catch (RuntimeException e) {
      log.warn("rotation sweep failed, will retry: {}", e.getMessage());
    }
  }

  /** Revokes every rotated key whose grace period has ended; returns how many. */
  public int sweep() {
    Integer revoked = tx.execute(status -> {
      record Row(UUID id, String prefix) {}
      List<Row> rows = jdbc.sql("""
          UPDATE virtual_keys k SET status = 'revoked', revoked_at = now(), updated_at = now()
          WHERE k.status = 'active' AND k.expires_at IS NOT NULL AND k.expires_at <= now()
            AND EXISTS (SELECT 1 FROM virtual_keys s WHERE s.rotated_from = k.id)
          RETURNING k.id, k.key_prefix""")
          .query((rs, i) -> new Row(rs.getObject(1, UUID.class), rs.getString(2))).list();
      if (rows.isEmpty()) {
        return 0;
      }
      long version = versions.bump();
      for (Row row : rows) {
        audit.record("virtual_key.revoke", "virtual_key", row.id(), Map.of("status", "active"),
            Map.of("status", "revoked", "reason", "rotation grace period ended"), version);
      }
      return rows.size();
    });
    if (revoked != null && revoked > 0) {
      log.info("revoked {} rotated key(s) whose grace period ended", revoked);
    }
    return revoked == null ? 0 : revoked;
  }
}
