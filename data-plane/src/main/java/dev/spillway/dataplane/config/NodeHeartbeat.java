package dev.spillway.dataplane.config;

import dev.spillway.dataplane.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reports the node to the control plane between polls ({@code POST /internal/v1/nodes/heartbeat}): while a long-poll
 * is parked for up to 30 s the fleet view would otherwise only learn of the node when the poll returns. Runs on its
 * own daemon thread; a failed beat is only logged at debug level, because the poller already reports outages.
 */
public final class NodeHeartbeat implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeHeartbeat.class);

  private final URI endpoint;
  private final String nodeToken;
  private final SnapshotPoller.Identity identity;
  private final ConfigHolder holder;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
      .version(HttpClient.Version.HTTP_1_1).build();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "node-heartbeat");
    t.setDaemon(true);
    return t;
  });

  public NodeHeartbeat(URI controlPlane, String nodeToken, SnapshotPoller.Identity identity, ConfigHolder holder) {
    this.endpoint = controlPlane.resolve("/internal/v1/nodes/heartbeat");
    this.nodeToken = nodeToken;
    this.identity = identity;
    this.holder = holder;
  }

  public void start(Duration interval) {
    timer.scheduleWithFixedDelay(this::beat, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  void beat() {
    ObjectNode body = Json.object()
        .put("node_id", identity.nodeId())
        .put("address", identity.address())
        .put("software_version", identity.softwareVersion())
        .put("uptime_seconds", Duration.between(identity.startedAt(), Instant.now()).toSeconds());
    NodeConfig current = holder.current();
    if (current != null) {
      body.put("applied_version", current.version()).put("applied_hash", current.sha256());
    }
    String lastError = holder.lastError();
    if (lastError != null) {
      body.put("last_error", lastError.length() > 1000 ? lastError.substring(0, 1000) : lastError);
    }
    HttpRequest request = HttpRequest.newBuilder(endpoint)
        .timeout(Duration.ofSeconds(5))
        .header("Authorization", "Bearer " + nodeToken)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)))
        .build();
    try {
      HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
      if (response.statusCode() != 200) {
        log.debug("heartbeat answered HTTP {}", response.statusCode());
      }
    } catch (java.io.IOException e) {
      log.debug("heartbeat failed: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
