package dev.spillway.dataplane.governance;

import dev.spillway.dataplane.json.Json;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Keeps this node's leases with the control plane ({@code POST /internal/v1/leases}, docs/governance.md) on a
 * daemon thread of its own: it reports what each lease consumed and asks for what the recent rate needs, every
 * refresh interval and at once when a lease runs low or a request waits for one. A lease of a window that has
 * passed is given back when nothing is in flight against it. A lease in use gets its next window's lease a few
 * seconds before its window ends ({@link Lease#successorDue}), asked for in a call of its own, so that the turn of
 * a minute does not make requests wait for a grant.
 *
 * <p>When a call fails the node keeps what it holds; the requests waiting are woken and apply the limit's mode for
 * an unreachable control plane.
 */
public final class LeaseClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaseClient.class);
  private static final int MAX_PER_CALL = 1000;
  private static final long IDLE_CONCURRENCY_RELEASE_NANOS = 60_000_000_000L;

  private final URI endpoint;
  private final String nodeToken;
  private final String nodeId;
  private final Clock clock;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
      .version(HttpClient.Version.HTTP_1_1).build();
  private final Map<LeaseKey, Lease> leases = new ConcurrentHashMap<>();
  /** The last grant per (scope, kind), for a new window's lease while the control plane cannot be asked. */
  private final Map<String, Long> previousGrants = new ConcurrentHashMap<>();
  private final Object signal = new Object();
  private final Thread thread;
  private volatile long refreshNanos = 2_000_000_000L;
  private volatile boolean reachable = true;
  private volatile boolean running = true;
  private boolean wake;
  private boolean outageLogged;

  public LeaseClient(URI controlPlane, String nodeToken, String nodeId) {
    this(controlPlane, nodeToken, nodeId, Clock.systemUTC());
  }

  /** With the wall clock that decides when windows turn (tests move it). */
  LeaseClient(URI controlPlane, String nodeToken, String nodeId, Clock clock) {
    this.endpoint = controlPlane.resolve("/internal/v1/leases");
    this.nodeToken = nodeToken;
    this.nodeId = nodeId;
    this.clock = clock;
    this.thread = new Thread(this::run, "lease-client");
    thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  /** The lease for {@code key}, made by {@code create} if this node holds none yet (and asked for at once). */
  Lease lease(LeaseKey key, Function<LeaseKey, Lease> create) {
    Lease lease = leases.get(key);
    if (lease != null) {
      return lease;
    }
    lease = leases.computeIfAbsent(key, create);
    wake();
    return lease;
  }

  /** How many leases this node holds or is asking for. */
  int leaseCount() {
    return leases.size();
  }

  /** The grant the same limit had in the window before (0 when unknown). */
  long previousGrant(LeaseKey key) {
    return previousGrants.getOrDefault(family(key), 0L);
  }

  /**
   * What this node's leases hold for requests in flight: budget reservations (nano-dollars) and concurrency slots.
   * Zero whenever nothing is in flight — the test that every reservation is released on every path.
   */
  public long inFlightClaims() {
    long total = 0;
    for (Lease lease : leases.values()) {
      total += lease.key.kind() == LeaseKey.Kind.BUDGET ? lease.reserved()
          : lease.key.kind() == LeaseKey.Kind.CONCURRENCY ? lease.used() : 0;
    }
    return total;
  }

  /** Whether the control plane answered the last call. */
  boolean reachable() {
    return reachable;
  }

  /** Calls the control plane now rather than at the next refresh. */
  void wake() {
    synchronized (signal) {
      wake = true;
      signal.notifyAll();
    }
  }

  private void run() {
    while (running) {
      synchronized (signal) {
        long deadline = System.nanoTime() + refreshNanos;
        while (!wake && running) {
          long left = deadline - System.nanoTime();
          if (left <= 0 || anyLow()) {
            break;
          }
          try {
            signal.wait(Math.max(1, Math.min(left / 1_000_000, 100)));
          } catch (InterruptedException e) {
            return;
          }
        }
        wake = false;
      }
      if (running) {
        try {
          refresh(false);
        } catch (RuntimeException e) {
          log.warn("lease refresh failed unexpectedly", e);
        }
      }
    }
  }

  private boolean anyLow() {
    long now = System.nanoTime();
    Instant wallNow = clock.instant();
    for (Lease lease : leases.values()) {
      if (lease.awaitsWindow(wallNow)) {
        continue; // asked for once ahead of its window; not spent from before it begins
      }
      if (lease.hasDemand() || lease.low(now) || lease.successorDue(wallNow, now)) {
        return true;
      }
    }
    return false;
  }

  /**
   * One round: the next window's lease made for every lease about to turn, every lease reported, passed windows given
   * back; {@code releaseAll} at shutdown.
   */
  void refresh(boolean releaseAll) {
    long now = System.nanoTime();
    Instant wallNow = clock.instant();
    if (!releaseAll) {
      for (Lease lease : List.copyOf(leases.values())) {
        if (lease.successorDue(wallNow, now)) {
          Lease successor = lease.successor();
          if (successor != null) {
            leases.putIfAbsent(successor.key, successor);
          }
        }
      }
    }
    List<Lease> batch = new ArrayList<>();
    List<Lease> ahead = new ArrayList<>();
    for (Lease lease : leases.values()) {
      if (!releaseAll && lease.awaitsWindow(wallNow)) {
        if (lease.askAhead()) {
          ahead.add(lease);
        }
        continue;
      }
      if (releaseAll || (passed(lease, wallNow, now) && lease.idle()) || lease.unneededSuccessor(wallNow)) {
        lease.markReleased();
      }
      batch.add(lease);
    }
    for (int from = 0; from < batch.size(); from += MAX_PER_CALL) {
      call(batch.subList(from, Math.min(batch.size(), from + MAX_PER_CALL)), now, false);
    }
    for (int from = 0; from < ahead.size(); from += MAX_PER_CALL) {
      call(ahead.subList(from, Math.min(ahead.size(), from + MAX_PER_CALL)), now, true);
    }
  }

  /** A rate-limit minute or budget period that is over, or a concurrency lease nobody used for a minute. */
  private static boolean passed(Lease lease, Instant wallNow, long now) {
    Instant reset = lease.resetAt();
    if (lease.key.kind() == LeaseKey.Kind.CONCURRENCY) {
      return lease.idleFor(now) > IDLE_CONCURRENCY_RELEASE_NANOS;
    }
    return reset != null && !wallNow.isBefore(reset);
  }

  /**
   * One call for {@code batch}. {@code ahead}: leases of windows that have not begun; a failed call leaves them
   * without a grant (asked for again with the other leases once their window begins) and says nothing about whether
   * the control plane is reachable: a node whose clock runs ahead may be refused a window that is not yet current.
   */
  private void call(List<Lease> batch, long sentNanos, boolean ahead) {
    ObjectNode body = Json.object().put("node_id", nodeId);
    ArrayNode items = body.putArray("leases");
    Map<LeaseKey, Lease.Report> reports = new HashMap<>();
    for (Lease lease : batch) {
      Lease.Report report = lease.report(sentNanos, refreshNanos);
      reports.put(lease.key, report);
      LeaseKey key = lease.key;
      ObjectNode item = items.addObject()
          .put("scope_type", key.scopeType())
          .put("scope_id", key.scopeId())
          .put("kind", key.kind().wireName())
          .put("used", amount(key.kind(), report.used()))
          .put("want", amount(key.kind(), report.want()))
          .put("release", report.release());
      if (key.windowStart() == null) {
        item.putNull("window_start");
      } else {
        item.put("window_start", key.windowStart().toString());
      }
    }
    HttpRequest request = HttpRequest.newBuilder(endpoint)
        .timeout(Duration.ofSeconds(5))
        .header("Authorization", "Bearer " + nodeToken)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)))
        .build();
    JsonNode answer;
    try {
      HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        failed(batch, reports, ahead, "the control plane answered HTTP " + response.statusCode());
        return;
      }
      answer = Json.parse(response.body());
    } catch (IOException | RuntimeException e) {
      failed(batch, reports, ahead, "the control plane is unreachable (" + e.getClass().getSimpleName() + ")");
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reports.values().forEach(r -> r.waiters().complete(null));
      return;
    }
    if (!ahead) {
      reachable = true;
    }
    if (outageLogged && !ahead) {
      outageLogged = false;
      log.info("leases: the control plane grants leases again");
    }
    long refreshMs = answer.path("refresh_ms").asLong(2000);
    refreshNanos = Math.max(100, Math.min(60_000, refreshMs)) * 1_000_000L;
    Instant serverTime = parseInstant(answer.path("server_time").asString(null));
    for (JsonNode item : answer.path("leases")) {
      LeaseKey key = new LeaseKey(item.path("scope_type").asString(""), item.path("scope_id").asString(""),
          kind(item.path("kind").asString("")), parseInstant(item.path("window_start").asString(null)));
      Lease lease = leases.get(key);
      Lease.Report report = reports.get(key);
      if (lease == null || report == null) {
        continue;
      }
      if (report.release()) {
        leases.remove(key, lease);
        report.waiters().complete(null);
        lease.wakeAll();
        continue;
      }
      Instant expiresAt = parseInstant(item.path("expires_at").asString(null));
      long ttlNanos = serverTime == null || expiresAt == null ? 0
          : Duration.between(serverTime, expiresAt).toNanos();
      JsonNode limitNode = item.get("limit");
      long limit = limitNode == null || limitNode.isNull() ? -1 : units(key.kind(), limitNode.asString("0"));
      long granted = limit < 0 ? Long.MAX_VALUE / 4 : units(key.kind(), item.path("granted").asString("0"));
      previousGrants.put(family(key), granted);
      JsonNode remainingNode = item.get("remaining");
      long remaining = remainingNode == null || remainingNode.isNull() ? -1
          : units(key.kind(), remainingNode.asString("0"));
      JsonNode usedNode = item.get("used");
      long recordedUsed = usedNode == null || usedNode.isNull() ? 0 : units(key.kind(), usedNode.asString("0"));
      // Whether a limit is enforced comes from the node's snapshot, which admission reads with the limit itself.
      lease.granted(granted, limit, remaining, parseInstant(item.path("reset_at").asString(null)),
          sentNanos + ttlNanos, recordedUsed);
      report.waiters().complete(null);
    }
    // Leases the answer did not mention (it should mention all): their waiters try again rather than hang.
    reports.values().forEach(r -> r.waiters().complete(null));
  }

  private void failed(List<Lease> batch, Map<LeaseKey, Lease.Report> reports, boolean ahead, String why) {
    if (ahead) {
      log.debug("leases: asking ahead for the next windows failed: {}", why);
      reports.values().forEach(r -> r.waiters().complete(null));
      return;
    }
    reachable = false;
    if (!outageLogged) {
      outageLogged = true;
      log.warn("leases: {}; this node spends what its leases hold, then applies each limit's unreachable mode",
          why);
    }
    for (Lease lease : batch) {
      if (lease.isReleased()) {
        // A passed window: nothing more will be taken from it; the control plane's expiry takes the rest back.
        leases.remove(lease.key, lease);
      }
    }
    reports.values().forEach(r -> r.waiters().complete(null));
  }

  private static String family(LeaseKey key) {
    return key.scopeType() + ':' + key.scopeId() + ':' + key.kind();
  }

  private static LeaseKey.Kind kind(String wire) {
    for (LeaseKey.Kind kind : LeaseKey.Kind.values()) {
      if (kind.wireName().equals(wire)) {
        return kind;
      }
    }
    return LeaseKey.Kind.RPM;
  }

  /** Budgets travel as USD decimals, other kinds as whole numbers. */
  static String amount(LeaseKey.Kind kind, long units) {
    return kind == LeaseKey.Kind.BUDGET ? BigDecimal.valueOf(units, 9).stripTrailingZeros().toPlainString()
        : Long.toString(units);
  }

  static long units(LeaseKey.Kind kind, String text) {
    BigDecimal value = new BigDecimal(text);
    if (kind == LeaseKey.Kind.BUDGET) {
      value = value.movePointRight(9);
    }
    return value.setScale(0, RoundingMode.DOWN).longValue();
  }

  private static Instant parseInstant(String text) {
    return text == null || text.isEmpty() ? null : Instant.parse(text);
  }

  /** Gives every lease back (a final report), so nothing this node held stays reserved until expiry. */
  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!leases.isEmpty()) {
      refresh(true);
    }
  }
}
