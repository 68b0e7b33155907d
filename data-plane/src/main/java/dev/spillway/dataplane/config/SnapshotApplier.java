package dev.spillway.dataplane.config;

import dev.spillway.config.EncodedSnapshot;
import dev.spillway.config.InvalidSnapshotException;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.config.SnapshotConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes, checks, compiles and installs snapshots, from the control plane or from disk. On any failure the old
 * config stays and the error is kept for the next report to the control plane.
 */
public final class SnapshotApplier {
  private static final Logger log = LoggerFactory.getLogger(SnapshotApplier.class);

  private final ConfigHolder holder;
  private final NodeConfigCompiler compiler;
  private final SnapshotStore store;
  private final SnapshotCodec codec = new SnapshotCodec();

  public SnapshotApplier(ConfigHolder holder, NodeConfigCompiler compiler, SnapshotStore store) {
    this.holder = holder;
    this.compiler = compiler;
    this.store = store;
  }

  /** Boots from the disk copy if there is a usable one. */
  public boolean loadFromDisk() {
    try {
      var stored = store.load();
      if (stored.isEmpty()) {
        log.info("no snapshot on disk at {}", store.file());
        return false;
      }
      NodeConfig config = decodeAndCompile(stored.get());
      if (holder.swap(config)) {
        log.info("serving config version {} from disk ({})", config.version(), store.file());
      }
      return true;
    } catch (InvalidSnapshotException e) {
      holder.recordError("disk snapshot refused: " + e.getMessage());
      log.error("refusing the snapshot on disk: {}", e.getMessage());
      return false;
    }
  }

  /**
   * Applies a snapshot received from the control plane and persists it.
   *
   * @return true when it is now the node's config
   */
  public boolean applyFromControlPlane(EncodedSnapshot encoded) {
    NodeConfig config;
    try {
      config = decodeAndCompile(encoded);
    } catch (InvalidSnapshotException e) {
      holder.recordError("version " + encoded.version() + " refused: " + e.getMessage());
      log.error("refusing config version {}: {}", encoded.version(), e.getMessage());
      return false;
    }
    if (!holder.swap(config)) {
      return false;
    }
    log.info("serving config version {} ({} keys, {} routes)", config.version(), config.keys().size(),
        config.routes().routeNames().size());
    try {
      store.save(encoded);
    } catch (RuntimeException e) {
      // Serving goes on; only a restart without the control plane would miss this version.
      log.error("could not persist config version {} to {}: {}", config.version(), store.file(), e.getMessage());
    }
    return true;
  }

  private NodeConfig decodeAndCompile(EncodedSnapshot encoded) {
    SnapshotConfig snapshot = codec.decode(encoded.gzipped(), encoded.sha256());
    if (snapshot.version() != encoded.version()) {
      throw new InvalidSnapshotException("snapshot says version " + snapshot.version() + " but was sent as "
          + encoded.version());
    }
    return compiler.compile(snapshot, encoded.sha256());
  }
}
