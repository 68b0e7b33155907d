package dev.spillway.controlplane.snapshot;

import dev.spillway.controlplane.configversion.ConfigVersions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * LISTENs on the config channel with one dedicated connection, so every replica rebuilds as soon as any replica
 * commits a change. Each wait also ends after a second and compares versions, which covers notifications lost
 * while the connection was being re-established.
 */
@Component
public class ConfigChangeListener implements SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(ConfigChangeListener.class);
  private static final int WAIT_MS = 1000;

  private final DataSource dataSource;
  private final SnapshotPublisher publisher;
  private volatile boolean running;
  private Thread thread;

  public ConfigChangeListener(DataSource dataSource, SnapshotPublisher publisher) {
    this.dataSource = dataSource;
    this.publisher = publisher;
  }

  @EventListener(ApplicationReadyEvent.class)
  void buildFirstSnapshot() {
    publisher.rebuildIfStale();
  }

  @Override
  public void start() {
    running = true;
    thread = new Thread(this::run, "config-change-listener");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void stop() {
    running = false;
    if (thread != null) {
      thread.interrupt();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  private void run() {
    long backoffMs = 200;
    while (running) {
      try (Connection connection = dataSource.getConnection()) {
        try (Statement st = connection.createStatement()) {
          st.execute("LISTEN " + ConfigVersions.CHANNEL);
        }
        PGConnection pg = connection.unwrap(PGConnection.class);
        backoffMs = 200;
        publisher.requestRebuild();
        while (running) {
          // Returns on a notification or after WAIT_MS. Either way: rebuild if the version moved, which is a
          // single cheap query when it did not.
          pg.getNotifications(WAIT_MS);
          publisher.requestRebuild();
        }
      } catch (SQLException e) {
        if (!running) {
          return;
        }
        log.warn("config change listener lost its connection ({}); retrying in {} ms", e.getMessage(), backoffMs);
        try {
          Thread.sleep(backoffMs + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
        backoffMs = Math.min(backoffMs * 2, 10_000);
      }
    }
  }
}
