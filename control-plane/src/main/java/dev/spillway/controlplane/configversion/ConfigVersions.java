package dev.spillway.controlplane.configversion;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * The config version counter. Every config write calls {@link #bump()} inside its own transaction: the row lock
 * orders writers so that commit order equals version order, and the NOTIFY (delivered at commit, dropped on
 * rollback) tells every control-plane replica to rebuild its snapshot.
 */
@Component
public class ConfigVersions {
  public static final String CHANNEL = "spillway_config";

  private final JdbcClient jdbc;

  public ConfigVersions(JdbcClient jdbc) {
    this.jdbc = jdbc;
  }

  /** Increments the version; must run inside the transaction that makes the change. */
  @Transactional(propagation = Propagation.MANDATORY)
  public long bump() {
    long version = jdbc.sql("UPDATE config_version SET version = version + 1, changed_at = now() RETURNING version")
        .query(Long.class).single();
    jdbc.sql("SELECT pg_notify(?, ?)").params(CHANNEL, Long.toString(version)).query((rs, i) -> 1).list();
    return version;
  }

  public long current() {
    return jdbc.sql("SELECT version FROM config_version").query(Long.class).single();
  }
}
