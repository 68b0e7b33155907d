package dev.spillway.controlplane.snapshot;

import dev.spillway.config.EncodedSnapshot;
import dev.spillway.config.InvalidSnapshotException;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.config.SnapshotValidator;
import dev.spillway.controlplane.SpillwayProperties;
import dev.spillway.controlplane.configversion.ConfigVersions;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Keeps this replica's current snapshot in step with the config version. Rebuilds run on one thread and
 * coalesce: a burst of changes costs one or two builds, never a queue of them. A snapshot that fails validation
 * is not published; the previous one stays and the error is kept for the API.
 */
@Component
public class SnapshotPublisher implements DisposableBean {
  private static final Logger log = LoggerFactory.getLogger(SnapshotPublisher.class);

  private final SnapshotAssembler assembler;
  private final ConfigVersions versions;
  private final JdbcClient jdbc;
  private final SnapshotCodec codec = new SnapshotCodec();
  private final ExecutorService builder = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "snapshot-builder");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean rebuildQueued = new AtomicBoolean();
  private final AtomicReference<PublishedSnapshot> current = new AtomicReference<>();
  private final AtomicReference<String> lastError = new AtomicReference<>();
  private final CopyOnWriteArrayList<Consumer<PublishedSnapshot>> listeners = new CopyOnWriteArrayList<>();

  private final int history;
  private final Timer buildTimer;

  /**
   * {@code registry} gets {@code spillway_cp_snapshot_build_seconds} (builds on this replica, failed ones included),
   * {@code spillway_cp_snapshot_bytes} (the served snapshot, gzipped, as nodes download it) and
   * {@code spillway_cp_snapshot_version}.
   */
  public SnapshotPublisher(SnapshotAssembler assembler, ConfigVersions versions, JdbcClient jdbc,
      SpillwayProperties props, MeterRegistry registry) {
    this.assembler = assembler;
    this.versions = versions;
    this.jdbc = jdbc;
    this.history = props.snapshotHistory();
    this.buildTimer = Timer.builder("spillway.cp.snapshot.build")
        .description("Time to assemble, validate, encode and store a config snapshot")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(60))
        .register(registry);
    Gauge.builder("spillway.cp.snapshot.bytes", current,
            c -> c.get() == null ? 0 : c.get().encoded().gzipped().length)
        .description("Size of the served config snapshot, gzipped (what a node downloads)")
        .register(registry);
    Gauge.builder("spillway.cp.snapshot.version", current, c -> c.get() == null ? 0 : c.get().version())
        .description("Config version of the served snapshot (0 before the first)")
        .register(registry);
  }

  public Optional<PublishedSnapshot> current() {
    return Optional.ofNullable(current.get());
  }

  public Optional<String> lastError() {
    return Optional.ofNullable(lastError.get());
  }

  public void onPublish(Consumer<PublishedSnapshot> listener) {
    listeners.add(listener);
  }

  /** Schedules a rebuild unless one is already queued (a running one does not count: it may have read old data). */
  public void requestRebuild() {
    if (rebuildQueued.compareAndSet(false, true)) {
      builder.execute(this::rebuildIfStale);
    }
  }

  /** Builds now on the caller's thread; used once at start-up so the replica is ready when it says so. */
  public synchronized void rebuildIfStale() {
    rebuildQueued.set(false);
    try {
      long latest = versions.current();
      PublishedSnapshot published = current.get();
      if (published != null && published.version() >= latest) {
        return;
      }
      PublishedSnapshot next = loadStored(latest).orElseGet(this::build);
      if (published == null || next.version() > published.version()) {
        current.set(next);
        lastError.set(null);
        log.info("serving config version {} (sha256 {}, {} bytes gzipped, built in {} ms)", next.version(),
            next.sha256().substring(0, 12), next.encoded().gzipped().length, next.buildMillis());
        for (Consumer<PublishedSnapshot> listener : listeners) {
          listener.accept(next);
        }
      }
    } catch (InvalidSnapshotException e) {
      lastError.set(e.getMessage());
      log.error("config snapshot rejected, still serving the previous one: {}", e.getMessage());
    } catch (RuntimeException e) {
      lastError.set(e.getClass().getSimpleName() + ": " + e.getMessage());
      log.error("config snapshot build failed, still serving the previous one", e);
    }
  }

  /** Assembles, validates, encodes and stores the current config; public for the scale benchmark. */
  public PublishedSnapshot build() {
    long started = System.nanoTime();
    try {
      return buildUntimed();
    } finally {
      buildTimer.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    }
  }

  private PublishedSnapshot buildUntimed() {
    long started = System.nanoTime();
    SnapshotAssembler.Assembled assembled = assembler.assemble();
    SnapshotConfig snapshot = assembled.config();
    SnapshotValidator.requireValid(snapshot);
    EncodedSnapshot encoded = codec.encode(snapshot);
    int millis = (int) TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    jdbc.sql("""
        INSERT INTO config_snapshots (version, kind, sha256, payload_gzip, raw_size_bytes, build_ms, restored_from)
        VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (version) DO NOTHING""")
        .params(encoded.version(), snapshot.kind(), encoded.sha256(), encoded.gzipped(), encoded.rawSize(), millis,
            assembled.restoredFrom())
        .update();
    jdbc.sql("DELETE FROM config_snapshots WHERE version < ?").param(encoded.version() - history).update();
    return new PublishedSnapshot(encoded, snapshot.createdAt(), millis);
  }

  /** Another replica may have built this version already; its bytes are identical, so take them. */
  private Optional<PublishedSnapshot> loadStored(long version) {
    return jdbc.sql("SELECT version, sha256, payload_gzip, raw_size_bytes, build_ms, created_at "
            + "FROM config_snapshots WHERE version = ?")
        .param(version)
        .query((rs, i) -> new PublishedSnapshot(new EncodedSnapshot(rs.getLong(1), rs.getString(2), rs.getBytes(3),
            rs.getInt(4)), rs.getTimestamp(6).toInstant(), rs.getInt(5)))
        .optional();
  }

  @Override
  public void destroy() {
    builder.shutdownNow();
  }
}
