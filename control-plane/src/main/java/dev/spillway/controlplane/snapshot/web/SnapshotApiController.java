package dev.spillway.controlplane.snapshot.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.snapshot.SnapshotPublisher;
import java.time.Instant;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
class SnapshotApiController {
  private final SnapshotPublisher publisher;

  SnapshotApiController(SnapshotPublisher publisher) {
    this.publisher = publisher;
  }

  record CurrentSnapshot(long version, String hash, Instant createdAt, int sizeBytes, int gzippedBytes,
      int buildMs, String lastBuildError) {}

  @GetMapping("/api/v1/snapshots/current")
  CurrentSnapshot current() {
    var snapshot = publisher.current().orElseThrow(() -> ApiException.notFound("snapshot", "current"));
    return new CurrentSnapshot(snapshot.version(), snapshot.sha256(), snapshot.createdAt(),
        snapshot.encoded().rawSize(), snapshot.encoded().gzipped().length, snapshot.buildMillis(),
        publisher.lastError().orElse(null));
  }
}
