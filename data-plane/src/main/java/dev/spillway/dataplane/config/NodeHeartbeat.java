package dev.spillway.dataplane.config;

import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.routing.KeyHealth;
import dev.spillway.dataplane.routing.RateLimitHeaders;
import dev.spillway.dataplane.routing.RoutingHealth;
import dev.spillway.dataplane.routing.TargetHealth;
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
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reports the node to the control plane between polls ({@code POST /internal/v1/nodes/heartbeat}): while a long-poll
 * is parked for up to 30 s the fleet view would otherwise only learn of the node when the poll returns. Runs on its
 * own daemon thread; a failed beat is only logged at debug level, because the poller already reports outages.
 */
public final class NodeHeartbeat implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeHeartbeat.class);
  private static final int MAX_TARGETS = 2_000;

  private final URI endpoint;
  private final String nodeToken;
  private final SnapshotPoller.Identity identity;
  private final ConfigHolder holder;
  private final RoutingHealth health;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
      .version(HttpClient.Version.HTTP_1_1).build();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "node-heartbeat");
    t.setDaemon(true);
    return t;
  });

  public NodeHeartbeat(URI controlPlane, String nodeToken, SnapshotPoller.Identity identity, ConfigHolder holder,
      RoutingHealth health) {
    this.endpoint = controlPlane.resolve("/internal/v1/nodes/heartbeat");
    this.nodeToken = nodeToken;
    this.identity = identity;
    this.holder = holder;
    this.health = health;
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
    body.set("targets", targets(health, System.nanoTime(), Instant.now()));
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

  /** What this node knows of each upstream target, for the route pages' fleet view. At most 2,000 entries. */
  static ArrayNode targets(RoutingHealth health, long nowNanos, Instant now) {
    ArrayNode targets = Json.array();
    for (TargetHealth target : health.sortedTargets()) {
      if (targets.size() == MAX_TARGETS) {
        break;
      }
      KeyHealth key = target.key();
      if (target.model().length() > 200 || key.keyName().length() > 200) {
        continue; // a model name a client invented (provider/…): the control plane takes names up to 200 characters
      }
      ObjectNode entry = targets.addObject()
          .put("provider", key.provider())
          .put("key", key.keyName())
          .put("model", target.model())
          .put("breaker", target.breakerState())
          .put("error_rate", target.errorRate())
          .put("in_flight", target.inFlightNow())
          .put("requests", target.requestCount())
          .put("bad_key", key.isBad());
      if (!Double.isNaN(target.ewmaTtfbMs())) {
        entry.put("ewma_ttfb_ms", Math.round(target.ewmaTtfbMs() * 10) / 10.0);
      }
      long cooling = key.coolingForNanos(nowNanos);
      if (cooling > 0) {
        entry.put("cooldown_until", now.plusNanos(cooling).toString());
      }
      RateLimitHeaders.Room room = key.room();
      if (room.remainingRequests() >= 0) {
        entry.put("remaining_requests", room.remainingRequests());
      }
      if (room.remainingTokens() >= 0) {
        entry.put("remaining_tokens", room.remainingTokens());
      }
    }
    return targets;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
