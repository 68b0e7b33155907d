package dev.spillway.controlplane.snapshot;

import dev.spillway.config.EncodedSnapshot;
import java.time.Instant;

/** The snapshot this replica currently serves to nodes. */
public record PublishedSnapshot(EncodedSnapshot encoded, Instant createdAt, int buildMillis) {
  public long version() {
    return encoded.version();
  }

  public String sha256() {
    return encoded.sha256();
  }
}
