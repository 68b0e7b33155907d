package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.metrics.MetricsText;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The node's front door over real sockets: ambiguous framing is refused and the request smuggled behind it never
 * answered; slow heads and idle new connections are closed at the header deadline; connections over the limit are
 * refused with 503 while the others work; and errors a client reads name no library internals.
 */
@ExtendWith(NoLeaksExtension.class)
class FrontDoorIT {
  static final String KEY = "sk-sw-frontdoor0000000000000000000000000000";
  static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");
  /** What a smuggling probe hides after its first request: a request the node must never answer. */
  static final String SMUGGLED = "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n";

  static FakeProvider provider;
  static FakeControlPlane controlPlane;
  /** A node with a one-second header deadline. */
  static SpillwayNode node;
  /** A node that takes three connections at most. */
  static SpillwayNode limited;
  static NodeClient client;

  @BeforeAll
  static void start() throws Exception {
    provider = FakeProvider.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("fake", ProviderType.OPENAI_COMPATIBLE, provider.baseUrl(), "sk-upstream-0000000000000")
        .provider("dead", ProviderType.OPENAI_COMPATIBLE, "http://127.0.0.1:1/v1", "sk-dead-0000000000000")
        .route("chat", "fake/m")
        .route("dead", "dead/m")
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("front-door-it"),
        Map.of("SPILLWAY_DP_HEADER_TIMEOUT_SECONDS", "1"));
    limited = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("front-door-limited-it"),
        Map.of("SPILLWAY_DP_MAX_CONNECTIONS", "3"));
    TestNodes.awaitVersion(node, 1);
    TestNodes.awaitVersion(limited, 1);
    client = new NodeClient(node, KEY);
  }

  @AfterAll
  static void stop() {
    node.close();
    limited.close();
    controlPlane.close();
    provider.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "Transfer-Encoding: identity\r\n\r\n",
      "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
      "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "Content-Length: 3\r\nContent-Length: 36\r\n\r\n{}\n",
      "X-Note: a\r\n Content-Length: 36\r\n\r\n"})
  void refusesAmbiguousFramingAndNeverAnswersTheSmuggledRequest(String framing) throws Exception {
    String exchange = rawExchange(node, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + KEY + "\r\n" + framing + SMUGGLED);

    assertThat(statuses(exchange)).as(exchange).containsExactly(400);
    assertThat(exchange).containsIgnoringCase("connection: close").contains("\"code\":\"invalid_request\"")
        .doesNotContain("config_version");
  }

  @Test
  void servesTheRequestAfterAWellFramedChunkedBody() throws Exception {
    provider.enqueue(FakeResponse.chat().content("framed"));
    String body = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    String exchange = rawExchange(node, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + KEY + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n"
        + "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

    assertThat(statuses(exchange)).containsExactly(200, 200);
    assertThat(exchange).contains("framed", "config_version");
  }

  @Test
  void closesAConnectionThatDripsItsHeadersWith408() throws Exception {
    ScheduledExecutorService drip = Executors.newSingleThreadScheduledExecutor();
    try (Socket socket = new Socket("127.0.0.1", node.port())) {
      OutputStream out = socket.getOutputStream();
      out.write("GET /healthz HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
      long start = System.nanoTime();
      drip.scheduleAtFixedRate(() -> {
        try {
          out.write("X-Drip: 1\r\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException closed) {
          // the node hung up, as it should
        }
      }, 100, 100, TimeUnit.MILLISECONDS);
      CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> readToEnd(socket));

      await().atMost(Duration.ofSeconds(10)).until(answer::isDone);

      assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(900),
          Duration.ofSeconds(5));
      assertThat(statuses(answer.get())).containsExactly(408);
      assertThat(answer.get()).contains("\"code\":\"request_timeout\"");
    } finally {
      drip.shutdownNow();
    }
  }

  @Test
  void closesANewConnectionThatSendsNothing() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", node.port())) {
      long start = System.nanoTime();
      CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> readToEnd(socket));

      await().atMost(Duration.ofSeconds(10)).until(answer::isDone);

      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(900));
      assertThat(answer.get()).as("nothing was asked, so nothing is answered").isEmpty();
    }
  }

  @Test
  void refusesConnectionsOverTheLimitWhileTheOthersWork() throws Exception {
    List<Socket> idle = new ArrayList<>();
    try (Socket first = new Socket("127.0.0.1", limited.port());
        Socket second = new Socket("127.0.0.1", limited.port());
        Socket working = new Socket("127.0.0.1", limited.port())) {
      idle.add(first);
      idle.add(second);
      await().atMost(Duration.ofSeconds(5)).until(() -> metric(limited, "spillway_open_connections") == 3);

      String refused;
      try (Socket over = new Socket("127.0.0.1", limited.port())) {
        refused = readToEnd(over);
      }

      assertThat(statuses(refused)).containsExactly(503);
      assertThat(refused).containsIgnoringCase("connection: close").containsIgnoringCase("retry-after: 1")
          .contains("open connections; retry shortly");
      assertThat(metric(limited, "spillway_connections_refused_total")).isEqualTo(1);
      assertThat(statuses(keepAliveExchange(working, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")))
          .containsExactly(200);

      first.close();
      await().atMost(Duration.ofSeconds(5)).until(() -> metric(limited, "spillway_open_connections") == 2);
      assertThat(statuses(rawExchange(limited, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")))
          .as("a freed slot takes a new connection").containsExactly(200);
    }
  }

  @Test
  void reportsARefusedProviderConnectionInPlainWords() throws Exception {
    HttpResponse<String> response = client.post("/v1/chat/completions",
        "{\"model\":\"dead\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(NodeClient.error(response).path("message").asString()).contains("connection refused by 127.0.0.1:1")
        .doesNotContain("finishConnect", "error(-", "io.netty", "Exception");
  }

  @Test
  void reportsMalformedJsonAndUnreadableProviderAnswersInPlainWords() throws Exception {
    HttpResponse<String> malformed = client.post("/v1/chat/completions",
        "{\"model\":\"chat\",\"temperature\":NaN,\"messages\":[]}");
    provider.enqueue(FakeResponse.raw(200, "application/json", "{\"id\":\"x\",\"choices\":[{\"message\":"));
    HttpResponse<String> unreadable = client.post("/v1/chat/completions",
        "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

    assertThat(NodeClient.error(malformed).path("message").asString()).isEqualTo("request body is not valid JSON:"
        + " NaN and Infinity are not valid JSON numbers at line 1, column 34");
    assertThat(unreadable.statusCode()).isEqualTo(502);
    assertThat(NodeClient.error(unreadable).path("message").asString())
        .contains("fake sent an answer Spillway cannot read: not valid JSON: unexpected end of input")
        .doesNotContain("Source", "REDACTED", "StreamReadFeature", "jackson");
  }

  /** Sends {@code raw} on a new connection and reads until the node closes it. */
  private static String rawExchange(SpillwayNode target, String raw) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", target.port())) {
      socket.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
      return readToEnd(socket);
    }
  }

  /** Sends {@code raw} on an open keep-alive connection and reads one complete response with a Content-Length. */
  private static String keepAliveExchange(Socket socket, String raw) throws IOException {
    socket.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return head.toString(StandardCharsets.ISO_8859_1);
      }
      head.write(b);
      matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    Matcher length = Pattern.compile("(?i)content-length: (\\d+)").matcher(text);
    int bodyLength = length.find() ? Integer.parseInt(length.group(1)) : 0;
    return text + new String(in.readNBytes(bodyLength), StandardCharsets.ISO_8859_1);
  }

  /** From the node's admin port: its connections are not client connections, so they count against no limit. */
  private static double metric(SpillwayNode target, String name) throws IOException {
    try (Socket admin = new Socket("127.0.0.1", target.adminPort())) {
      return MetricsText.value(keepAliveExchange(admin, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), name);
    }
  }

  private static String readToEnd(Socket socket) {
    try {
      socket.setSoTimeout(10_000);
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    } catch (SocketException reset) {
      return "";
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<Integer> statuses(String exchange) {
    List<Integer> statuses = new ArrayList<>();
    Matcher m = STATUS_LINE.matcher(exchange);
    while (m.find()) {
      statuses.add(Integer.parseInt(m.group(1)));
    }
    return statuses;
  }
}
