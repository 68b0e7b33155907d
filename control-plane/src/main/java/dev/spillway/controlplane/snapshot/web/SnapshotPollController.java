package dev.spillway.controlplane.snapshot.web;

import dev.spillway.controlplane.SpillwayProperties;
import dev.spillway.controlplane.node.NodeIds;
import dev.spillway.controlplane.node.NodeRegistry;
import dev.spillway.controlplane.node.NodeReport;
import dev.spillway.controlplane.snapshot.PublishedSnapshot;
import dev.spillway.controlplane.snapshot.SnapshotPublisher;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

/**
 * {@code GET /internal/v1/snapshots?known_version=N}: answers at once with the current snapshot when it is newer
 * than N, else parks the request until a newer one is published or the long-poll timeout passes (304).
 */
@RestController
class SnapshotPollController {
  static final String VERSION_HEADER = "Spillway-Snapshot-Version";
  static final String HASH_HEADER = "Spillway-Snapshot-Sha256";
  private static final Logger log = LoggerFactory.getLogger(SnapshotPollController.class);

  private final SnapshotPublisher publisher;
  private final NodeRegistry nodes;
  private final SpillwayProperties props;
  private final Map<DeferredResult<ResponseEntity<byte[]>>, Long> waiting = new ConcurrentHashMap<>();

  private final Timer answered;
  private final Timer notModified;

  SnapshotPollController(SnapshotPublisher publisher, NodeRegistry nodes, SpillwayProperties props,
      MeterRegistry registry) {
    this.publisher = publisher;
    this.nodes = nodes;
    this.props = props;
    // A poll answered with a snapshot measures how fast a node learns of a change; a 304 is mostly the parked time.
    this.answered = pollTimer(registry, "snapshot");
    this.notModified = pollTimer(registry, "not_modified");
    publisher.onPublish(this::wake);
  }

  @GetMapping("/internal/v1/snapshots")
  DeferredResult<ResponseEntity<byte[]>> poll(@RequestParam(name = "known_version", defaultValue = "0") long known,
      HttpServletRequest request) {
    long started = System.nanoTime();
    recordNode(request);
    DeferredResult<ResponseEntity<byte[]>> result = new DeferredResult<>(props.longPollTimeout().toMillis(),
        () -> ResponseEntity.status(HttpStatus.NOT_MODIFIED).build());
    result.onCompletion(() -> {
      waiting.remove(result);
      boolean snapshot = result.getResult() instanceof ResponseEntity<?> answer && answer.getStatusCode().value() == 200;
      (snapshot ? answered : notModified).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    });
    waiting.put(result, known);
    // Checked after registering, so a snapshot published in between is not missed.
    publisher.current().filter(s -> s.version() > known).ifPresent(s -> complete(result, s));
    return result;
  }

  private static Timer pollTimer(MeterRegistry registry, String result) {
    return Timer.builder("spillway.cp.node.poll")
        .description("Time to answer a node's snapshot poll, parked time included, by result (snapshot, "
            + "not_modified)")
        .tag("result", result)
        .publishPercentileHistogram()
        .minimumExpectedValue(java.time.Duration.ofMillis(1))
        .maximumExpectedValue(java.time.Duration.ofSeconds(120))
        .register(registry);
  }

  /** Parked polls end at once on shutdown, so graceful shutdown does not wait out the long-poll timeout. */
  @EventListener(ContextClosedEvent.class)
  void releaseParkedPolls() {
    waiting.keySet().forEach(result -> result.setResult(ResponseEntity.status(HttpStatus.NOT_MODIFIED).build()));
  }

  private void wake(PublishedSnapshot snapshot) {
    waiting.forEach((result, known) -> {
      if (snapshot.version() > known) {
        complete(result, snapshot);
      }
    });
  }

  private void complete(DeferredResult<ResponseEntity<byte[]>> result, PublishedSnapshot snapshot) {
    result.setResult(ResponseEntity.ok()
        .contentType(MediaType.parseMediaType("application/gzip"))
        .header(VERSION_HEADER, Long.toString(snapshot.version()))
        .header(HASH_HEADER, snapshot.sha256())
        .body(snapshot.encoded().gzipped()));
  }

  private void recordNode(HttpServletRequest request) {
    // Decoded like every other header: the heartbeat sends the id as plain JSON, and both must name the same row.
    String nodeId = header(request, "Spillway-Node-Id");
    if (nodeId == null || nodeId.isBlank()) {
      return;
    }
    var problem = NodeIds.problem(nodeId);
    if (problem.isPresent()) {
      log.warn("not listing node {}: its id {}", printable(nodeId), problem.get());
      return;
    }
    try {
      nodes.report(new NodeReport(nodeId, header(request, "Spillway-Node-Address"),
          header(request, "Spillway-Node-Software-Version"), longHeader(request, "Spillway-Node-Applied-Version"),
          header(request, "Spillway-Node-Applied-Hash"), header(request, "Spillway-Node-Last-Error"),
          instantHeader(request, "Spillway-Node-Started-At")));
    } catch (RuntimeException e) {
      // The fleet view is best effort; a node must get its config even when this write fails.
      log.warn("could not record node {}: {}", nodeId, e.getMessage());
    }
  }

  /**
   * A header value as the node meant it: nodes form-encode their identity headers (ids such as {@code vm:28000},
   * error messages) so that any text fits in a header. A value that is not valid form encoding is taken as sent.
   */
  private static String header(HttpServletRequest request, String name) {
    String value = request.getHeader(name);
    if (value == null || value.isEmpty()) {
      return null;
    }
    String decoded;
    try {
      decoded = URLDecoder.decode(value, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      decoded = value;
    }
    return decoded.length() > 2000 ? decoded.substring(0, 2000) : decoded;
  }

  /** For the log: at most 200 characters, control characters (forged log lines) replaced. */
  private static String printable(String value) {
    String cut = value.length() > 200 ? value.substring(0, 200) + "…" : value;
    return cut.chars().map(c -> Character.isISOControl(c) ? '?' : c)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
  }

  private static Long longHeader(HttpServletRequest request, String name) {
    String value = header(request, name);
    try {
      return value == null ? null : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Instant instantHeader(HttpServletRequest request, String name) {
    String value = header(request, name);
    try {
      return value == null ? null : Instant.parse(value);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
