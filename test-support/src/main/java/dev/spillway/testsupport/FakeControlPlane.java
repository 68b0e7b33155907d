package dev.spillway.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.spillway.config.EncodedSnapshot;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.config.SnapshotConfig;
import java.io.IOException;
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
 * against an in-memory snapshot. For data-plane tests that need to control exactly what a node receives; the
 * end-to-end tests use the real control plane.
 */
public final class FakeControlPlane implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final SnapshotCodec codec = new SnapshotCodec();
  private final Object lock = new Object();
  private final List<Map<String, String>> polls = new CopyOnWriteArrayList<>();
  private EncodedSnapshot current;
  private byte[] corruptPayload;
  private final long holdMillis;

  private FakeControlPlane(long holdMillis) throws IOException {
    this.holdMillis = holdMillis;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.setExecutor(executor);
    server.createContext("/internal/v1/snapshots", this::poll);
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
