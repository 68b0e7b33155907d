package dev.spillway.controlplane;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real HTTP server on loopback standing in for the budget-alert webhook of every test's control plane. It answers
 * 200 unless told otherwise for one scope (the {@code scope_id} of the alert's body), so tests that share it never
 * see each other's alerts: each test asks about its own team or key.
 */
public final class WebhookReceiver implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** One POST as it arrived: its headers (names in lower case) and body. */
  public record Received(Map<String, String> headers, byte[] body) {
    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    public JsonNode json() {
      return JSON.readTree(body);
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "webhook-receiver");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, Deque<Integer>> answers = new ConcurrentHashMap<>();
  private final Map<String, CountDownLatch> held = new ConcurrentHashMap<>();
  private final Map<String, List<Received>> received = new ConcurrentHashMap<>();

  private WebhookReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    // Its own threads: a held request must not keep the others waiting.
    server.setExecutor(executor);
    server.createContext("/hooks/budget", this::handle);
    server.start();
  }

  public static WebhookReceiver start() {
    try {
      return new WebhookReceiver();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the webhook receiver", e);
    }
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks/budget";
  }

  /** The next POSTs about this scope are answered with these statuses, one each; then 200 again. */
  public void answer(UUID scopeId, int... statuses) {
    Deque<Integer> queue = answers.computeIfAbsent(scopeId.toString(), id -> new ArrayDeque<>());
    synchronized (queue) {
      for (int status : statuses) {
        queue.add(status);
      }
    }
  }

  /** POSTs about this scope get no answer until {@link #release}: a webhook that has stopped answering. */
  public void hold(UUID scopeId) {
    held.put(scopeId.toString(), new CountDownLatch(1));
  }

  public void release(UUID scopeId) {
    CountDownLatch latch = held.remove(scopeId.toString());
    if (latch != null) {
      latch.countDown();
    }
  }

  /** The POSTs about this scope so far, in the order they arrived. */
  public List<Received> received(UUID scopeId) {
    return List.copyOf(received.getOrDefault(scopeId.toString(), List.of()));
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange; InputStream in = exchange.getRequestBody()) {
      byte[] body = in.readAllBytes();
      Map<String, String> headers = new ConcurrentHashMap<>();
      exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT),
          String.join(",", values)));
      String scope = scopeOf(body);
      received.computeIfAbsent(scope, id -> new CopyOnWriteArrayList<>()).add(new Received(Map.copyOf(headers),
          body));
      CountDownLatch latch = held.get(scope);
      if (latch != null) {
        try {
          latch.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      int status = next(scope);
      exchange.sendResponseHeaders(status, -1);
    }
  }

  private int next(String scope) {
    Deque<Integer> queue = answers.get(scope);
    if (queue == null) {
      return 200;
    }
    synchronized (queue) {
      Integer status = queue.poll();
      return status == null ? 200 : status;
    }
  }

  private static String scopeOf(byte[] body) {
    try {
      JsonNode scope = JSON.readTree(body).get("scope_id");
      return scope == null ? "" : scope.asString();
    } catch (RuntimeException e) {
      return "";
    }
  }

  @Override
  public void close() {
    held.values().forEach(CountDownLatch::countDown);
    server.stop(0);
    executor.shutdownNow();
  }
}
