package dev.spillway.dataplane.config;

import dev.spillway.config.EncodedSnapshot;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Long-polls the control plane for newer snapshots on its own thread (never an event loop). Each poll reports the
 * node's id, address, applied version and hash, and the last error, which makes it the heartbeat too. When the
 * control plane is unreachable it retries with jittered exponential backoff and the node keeps serving.
 */
public final class SnapshotPoller implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotPoller.class);
  private static final Duration MIN_BACKOFF = Duration.ofMillis(250);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

  /** How the node describes itself to the control plane. */
  public record Identity(String nodeId, String address, String softwareVersion, Instant startedAt) {}

  private final URI controlPlane;
  private final String nodeToken;
  private final Identity identity;
  private final ConfigHolder holder;
  private final SnapshotApplier applier;
  private final HttpClient client;
  private final Duration requestTimeout;
  private volatile boolean running;
  private volatile long refusedVersion;
  private Thread thread;

  public SnapshotPoller(URI controlPlane, String nodeToken, Identity identity, ConfigHolder holder,
      SnapshotApplier applier, Duration requestTimeout) {
    this.controlPlane = controlPlane;
    this.nodeToken = nodeToken;
    this.identity = identity;
    this.holder = holder;
    this.applier = applier;
    this.requestTimeout = requestTimeout;
    this.client = HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(3))
        .version(HttpClient.Version.HTTP_1_1)
        .build();
  }

  public void start() {
    running = true;
    thread = new Thread(this::run, "snapshot-poller");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void close() {
    running = false;
    if (thread != null) {
      thread.interrupt();
    }
  }

  private void run() {
    Duration backoff = MIN_BACKOFF;
    boolean warned = false;
    while (running) {
      try {
        pollOnce();
        backoff = MIN_BACKOFF;
        if (warned) {
          log.info("control plane {} reachable again", controlPlane);
          warned = false;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (IOException | RuntimeException e) {
        if (!running) {
          return;
        }
        if (!warned) {
          log.warn("control plane {} unreachable ({}); serving config version {} and retrying", controlPlane,
              describe(e), holder.currentIfAny().map(NodeConfig::version).map(String::valueOf).orElse("none"));
          warned = true;
        }
        if (!sleep(jitter(backoff))) {
          return;
        }
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
      }
    }
  }

  private void pollOnce() throws IOException, InterruptedException {
    NodeConfig current = holder.current();
    long applied = current == null ? 0 : current.version();
    // After refusing version N, wait for N+1 instead of fetching N again in a tight loop.
    long known = Math.max(applied, refusedVersion);
    HttpRequest.Builder request = HttpRequest.newBuilder(controlPlane.resolve("/internal/v1/snapshots?known_version="
            + known))
        .timeout(requestTimeout)
        .header("Authorization", "Bearer " + nodeToken)
        .header("Spillway-Node-Id", encode(identity.nodeId()))
        .header("Spillway-Node-Address", encode(identity.address()))
        .header("Spillway-Node-Software-Version", encode(identity.softwareVersion()))
        .header("Spillway-Node-Started-At", identity.startedAt().toString())
        .GET();
    if (current != null) {
      request.header("Spillway-Node-Applied-Version", Long.toString(current.version()));
      request.header("Spillway-Node-Applied-Hash", current.sha256());
    }
    String lastError = holder.lastError();
    if (lastError != null) {
      request.header("Spillway-Node-Last-Error", encode(lastError.length() > 1000 ? lastError.substring(0, 1000)
          : lastError));
    }
    HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    switch (response.statusCode()) {
      case 200 -> {
        long version = Long.parseLong(response.headers().firstValue("Spillway-Snapshot-Version").orElse("-1"));
        String hash = response.headers().firstValue("Spillway-Snapshot-Sha256").orElse("");
        if (!applier.applyFromControlPlane(new EncodedSnapshot(version, hash, response.body(), -1))) {
          refusedVersion = Math.max(refusedVersion, version);
        }
      }
      case 304 -> { }
      case 401, 403 -> throw new IOException("the control plane refused the node token (HTTP " + response.statusCode()
          + "); check SPILLWAY_NODE_TOKEN");
      default -> throw new IOException("unexpected HTTP " + response.statusCode() + " from the control plane");
    }
  }

  private static String describe(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static String encode(String value) {
    return URLEncoder.encode(value == null ? "" : value, StandardCharsets.UTF_8);
  }

  private static Duration jitter(Duration base) {
    long millis = base.toMillis();
    return Duration.ofMillis(millis / 2 + ThreadLocalRandom.current().nextLong(millis / 2 + 1));
  }

  private boolean sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
      return running;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
