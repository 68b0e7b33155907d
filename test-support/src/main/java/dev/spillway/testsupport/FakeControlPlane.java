package dev.spillway.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.spillway.config.EncodedSnapshot;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.config.SnapshotConfig;
import java.io.IOException;
import tools.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The control plane's node protocol and nothing else: {@code GET /internal/v1/snapshots?known_version=N} long-polled
 * against an in-memory snapshot, and {@code POST /internal/v1/usage} into memory (stored once per event, as the real
 * one stores them). For data-plane tests that need to control exactly what a node receives; the
 * end-to-end tests use the real control plane.
 */
public final class FakeControlPlane implements AutoCloseable {
  private static final tools.jackson.databind.ObjectMapper MAPPER = new tools.jackson.databind.ObjectMapper();
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final SnapshotCodec codec = new SnapshotCodec();
  private final Object lock = new Object();
  private final List<Map<String, String>> polls = new CopyOnWriteArrayList<>();
  private EncodedSnapshot current;
  private byte[] corruptPayload;
  private final long holdMillis;
  /** Usage events stored, by occurred_at and request id (a replay is stored once, as the real one does). */
  private final Map<String, JsonNode> usage = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger usageBatches = new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicInteger usageLinesReceived =
      new java.util.concurrent.atomic.AtomicInteger();
  private volatile int usageStatus = 200;
  private volatile int leaseStatus = 200;
  private volatile long leaseTtlMillis = 10_000;
  private final FakeLeases leaseBook = new FakeLeases();
  private final java.util.concurrent.atomic.AtomicInteger leaseCalls = new java.util.concurrent.atomic.AtomicInteger();

  private FakeControlPlane(long holdMillis) throws IOException {
    this.holdMillis = holdMillis;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.setExecutor(executor);
    server.createContext("/internal/v1/snapshots", this::poll);
    server.createContext("/internal/v1/usage", this::usage);
    server.createContext("/internal/v1/leases", this::leases);
    server.start();
  }

  public static FakeControlPlane start() {
    try {
      return new FakeControlPlane(2000);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public void publish(SnapshotConfig snapshot) {
    EncodedSnapshot encoded = codec.encode(snapshot);
    synchronized (lock) {
      current = encoded;
      corruptPayload = null;
      lock.notifyAll();
    }
  }

  /** Serves {@code snapshot} with a damaged payload (the advertised hash no longer matches). */
  public void publishCorrupted(SnapshotConfig snapshot) {
    EncodedSnapshot encoded = codec.encode(snapshot);
    byte[] damaged = encoded.gzipped().clone();
    damaged[damaged.length / 2] ^= 0x55;
    synchronized (lock) {
      current = encoded;
      corruptPayload = damaged;
      lock.notifyAll();
    }
  }

  /** Headers of every poll received, lower-cased names. */
  public List<Map<String, String>> polls() {
    return List.copyOf(polls);
  }

  /** Every distinct usage event stored so far. */
  public List<JsonNode> usageEvents() {
    return List.copyOf(usage.values());
  }

  /** Usage batches answered 200, and event lines received in them (replays included). */
  public int usageBatches() {
    return usageBatches.get();
  }

  public int usageLinesReceived() {
    return usageLinesReceived.get();
  }

  /** Answers usage batches with {@code status} from now on (503: "the database is down"); 200 stores them. */
  public void answerUsageWith(int status) {
    usageStatus = status;
  }

  private void usage(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!("Bearer " + Snapshots.NODE_TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      byte[] body = exchange.getRequestBody().readAllBytes();
      if ("gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
        body = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body)).readAllBytes();
      }
      int status = usageStatus;
      if (status != 200) {
        exchange.sendResponseHeaders(status, -1);
        return;
      }
      int accepted = 0;
      int lines = 0;
      for (String line : new String(body, java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        lines++;
        JsonNode event = MAPPER.readTree(line);
        String id = event.path("occurred_at").asString() + " " + event.path("request_id").asString();
        if (usage.putIfAbsent(id, event) == null) {
          accepted++;
        }
      }
      usageLinesReceived.addAndGet(lines);
      usageBatches.incrementAndGet();
      byte[] answer = ("{\"accepted\":" + accepted + ",\"duplicates\":" + (lines - accepted) + "}")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, answer.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      }
    }
  }

  /** Answers lease calls with {@code status} from now on (503: "the database is down"); 200 grants. */
  public void answerLeasesWith(int status) {
    leaseStatus = status;
  }

  /** How long granted leases live. */
  public void leaseTtl(java.time.Duration ttl) {
    leaseTtlMillis = ttl.toMillis();
  }

  public int leaseCalls() {
    return leaseCalls.get();
  }

  /** What all nodes consumed in one lease window (scope type, scope id, kind, window start or null). */
  public java.math.BigDecimal consumed(String scopeType, String scopeId, String kind, String windowStart) {
    return leaseBook.consumed(scopeType + "|" + scopeId + "|" + kind + "|" + windowStart);
  }

  private void leases(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!("Bearer " + Snapshots.NODE_TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      leaseCalls.incrementAndGet();
      JsonNode request = MAPPER.readTree(exchange.getRequestBody().readAllBytes());
      if (leaseStatus != 200) {
        exchange.sendResponseHeaders(leaseStatus, -1);
        return;
      }
      SnapshotConfig snapshot;
      synchronized (lock) {
        snapshot = current == null ? null : codec.decode(current.gzipped(), current.sha256());
      }
      byte[] answer = MAPPER.writeValueAsBytes(leaseBook.grant(request, snapshot, leaseTtlMillis));
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, answer.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      }
    }
  }

  private void poll(HttpExchange exchange) throws IOException {
    try (exchange) {
      Map<String, String> headers = new java.util.TreeMap<>();
      exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
      polls.add(headers);
      if (!("Bearer " + Snapshots.NODE_TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      String query = exchange.getRequestURI().getQuery();
      long known = query != null && query.startsWith("known_version=")
          ? Long.parseLong(query.substring("known_version=".length())) : 0;
      EncodedSnapshot answer;
      byte[] payload;
      synchronized (lock) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(holdMillis);
        while ((current == null || current.version() <= known) && System.nanoTime() < deadline) {
          lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        answer = current != null && current.version() > known ? current : null;
        payload = answer == null ? null : corruptPayload != null ? corruptPayload : answer.gzipped();
      }
      if (answer == null) {
        exchange.sendResponseHeaders(304, -1);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", "application/gzip");
      exchange.getResponseHeaders().set("Spillway-Snapshot-Version", Long.toString(answer.version()));
      exchange.getResponseHeaders().set("Spillway-Snapshot-Sha256", answer.sha256());
      exchange.sendResponseHeaders(200, payload.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(payload);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
