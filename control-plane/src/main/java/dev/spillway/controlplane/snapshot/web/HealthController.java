package dev.spillway.controlplane.snapshot.web;

import dev.spillway.controlplane.snapshot.SnapshotPublisher;
import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code /healthz}: the process is up. {@code /readyz}: a snapshot is published, so nodes can be served. */
@RestController
class HealthController {
  private final SnapshotPublisher publisher;

  HealthController(SnapshotPublisher publisher) {
    this.publisher = publisher;
  }

  @GetMapping("/healthz")
  Map<String, String> health() {
    return Map.of("status", "ok");
  }

  @GetMapping("/readyz")
  ResponseEntity<Map<String, Object>> ready() {
    return publisher.current()
        .<ResponseEntity<Map<String, Object>>>map(s -> ResponseEntity.ok(Map.of("status", "ready", "version",
            s.version())))
        .orElseGet(() -> ResponseEntity.status(503).body(Map.of("status", "no snapshot yet")));
  }
}
