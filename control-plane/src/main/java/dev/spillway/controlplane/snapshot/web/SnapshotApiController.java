package dev.spillway.controlplane.snapshot.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.snapshot.SnapshotHistory;
import dev.spillway.controlplane.snapshot.SnapshotPublisher;
import dev.spillway.controlplane.snapshot.SnapshotRestorer;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The snapshot this replica serves, the stored history, and restoring an earlier version as a new one. */
@RestController
class SnapshotApiController {
  private final SnapshotPublisher publisher;
  private final SnapshotHistory history;
  private final SnapshotRestorer restorer;

  SnapshotApiController(SnapshotPublisher publisher, SnapshotHistory history, SnapshotRestorer restorer) {
    this.publisher = publisher;
    this.history = history;
    this.restorer = restorer;
  }

  record CurrentSnapshot(long version, String hash, Instant createdAt, int sizeBytes, int gzippedBytes,
      int buildMs, String lastBuildError) {}

  record StoredSnapshot(long version, String kind, String hash, Instant createdAt, int sizeBytes, int gzippedBytes,
      int buildMs, Long restoredFrom) {
    static StoredSnapshot of(SnapshotHistory.Entry e) {
      return new StoredSnapshot(e.version(), e.kind(), e.sha256(), e.createdAt(), e.rawSizeBytes(),
          e.gzippedSizeBytes(), e.buildMs(), e.restoredFrom());
    }
  }

  record RestoreResponse(long version, long restoredFrom, int teams, int providers, int routes, int activeKeys,
      int revokedKeys, int deletedTeams) {}

  @GetMapping("/api/v1/snapshots/current")
  CurrentSnapshot current() {
    var snapshot = publisher.current().orElseThrow(() -> ApiException.notFound("snapshot", "current"));
    return new CurrentSnapshot(snapshot.version(), snapshot.sha256(), snapshot.createdAt(),
        snapshot.encoded().rawSize(), snapshot.encoded().gzipped().length, snapshot.buildMillis(),
        publisher.lastError().orElse(null));
  }

  /** Newest first; page with {@code before_version} (the {@code next_before_version} of the previous page). */
  @GetMapping("/api/v1/snapshots")
  Map<String, Object> list(@RequestParam(defaultValue = "50") int limit,
      @RequestParam(name = "before_version", required = false) Long beforeVersion) {
    if (limit < 1 || limit > 500) {
      throw ApiException.invalid("limit", "must be between 1 and 500");
    }
    List<StoredSnapshot> page = history.list(limit, beforeVersion).stream().map(StoredSnapshot::of).toList();
    Map<String, Object> body = new HashMap<>();
    body.put("data", page);
    body.put("next_before_version", page.size() == limit ? page.get(page.size() - 1).version() : null);
    return body;
  }

  @GetMapping("/api/v1/snapshots/{version}")
  StoredSnapshot get(@PathVariable String version) {
    return StoredSnapshot.of(history.find(parse(version))
        .orElseThrow(() -> ApiException.notFound("stored snapshot", version)));
  }

  @PostMapping("/api/v1/snapshots/{version}/restore")
  ResponseEntity<RestoreResponse> restore(@PathVariable String version) {
    var r = restorer.restore(parse(version));
    return ResponseEntity.ok(new RestoreResponse(r.version(), r.restoredFrom(), r.teams(), r.providers(), r.routes(),
        r.activeKeys(), r.revokedKeys(), r.deletedTeams()));
  }

  private static long parse(String version) {
    try {
      return Long.parseLong(version);
    } catch (NumberFormatException e) {
      throw ApiException.notFound("stored snapshot", version);
    }
  }
}
