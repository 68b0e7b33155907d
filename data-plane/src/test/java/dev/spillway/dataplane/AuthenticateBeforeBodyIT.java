package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Stage 1 runs on the request's head: a request without a valid virtual key is refused before its body is read, so
 * nobody without a key can make a node buffer anything. Raw sockets, so that the body is demonstrably never sent.
 */
@ExtendWith(NoLeaksExtension.class)
class AuthenticateBeforeBodyIT {
  private static final String KEY = "sk-sw-door0000000000000000000000000000000000";
  private static final int MAX_BODY = 32 * 1024 * 1024;

  static FakeProvider provider;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;

  @BeforeAll
  static void start() throws Exception {
    provider = FakeProvider.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("fake", ProviderType.OPENAI_COMPATIBLE, provider.baseUrl(), "sk-upstream-door-000000000")
        .route("chat", "fake/m")
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("door-it"),
        Map.of("SPILLWAY_DP_MAX_BODY_BYTES", Integer.toString(MAX_BODY)));
    TestNodes.awaitVersion(node, 1);
  }

  @AfterAll
  static void stop() {
    node.close();
    controlPlane.close();
    provider.close();
  }

  @BeforeEach
  void reset() {
    provider.reset();
  }

  @Test
  void refusesAMissingKeyBeforeTheBodyIsSentAndCloses() throws IOException {
    try (Socket socket = connect()) {
      send(socket, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          + "Content-Length: 30000000\r\n\r\n");

      String answer = readUntilClosed(socket);

      assertThat(answer).startsWith("HTTP/1.1 401").contains("\"code\":\"invalid_api_key\"")
          .containsIgnoringCase("connection: close");
    }
    assertThat(provider.requests()).isEmpty();
  }

  @Test
  void refusesAnUnknownKeyInAnthropicsShapeBeforeAChunkedBodyIsSent() throws IOException {
    try (Socket socket = connect()) {
      send(socket, "POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: sk-sw-unknown000000000000000000000000000000\r\n"
          + "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n");

      String answer = readUntilClosed(socket);

      assertThat(answer).startsWith("HTTP/1.1 401").contains("\"type\":\"authentication_error\"");
    }
  }

  @Test
  void tellsAClientWithAValidKeyToContinueButNotOneWithout() throws IOException {
    String body = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    try (Socket socket = connect()) {
      send(socket, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
          + "\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
          + "\r\n\r\n");
      assertThat(readSome(socket)).startsWith("HTTP/1.1 100 Continue");
      send(socket, body);
      assertThat(readSome(socket)).startsWith("HTTP/1.1 200");
    }
    try (Socket socket = connect()) {
      send(socket, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n");
      assertThat(readUntilClosed(socket)).startsWith("HTTP/1.1 401").doesNotContain("100 Continue");
    }
  }

  @Test
  void keepsTheConnectionOfARefusedRequestWithoutABody() throws IOException {
    try (Socket socket = connect()) {
      send(socket, "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(readSome(socket)).startsWith("HTTP/1.1 401").doesNotContainIgnoringCase("connection: close");

      send(socket, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(readSome(socket)).startsWith("HTTP/1.1 200");
    }
  }

  private static Socket connect() throws IOException {
    Socket socket = new Socket("127.0.0.1", node.port());
    socket.setSoTimeout(10_000);
    return socket;
  }

  private static void send(Socket socket, String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** Everything until the node closes the connection; fails when it does not within the socket timeout. */
  private static String readUntilClosed(Socket socket) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[8192];
    int n;
    try {
      while ((n = in.read(buffer)) >= 0) {
        all.write(buffer, 0, n);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the node kept the connection open; got: " + all.toString(StandardCharsets.UTF_8));
    }
    return all.toString(StandardCharsets.UTF_8);
  }

  /** One read's worth: the node answers each of these in one write. */
  private static String readSome(Socket socket) throws IOException {
    byte[] buffer = new byte[16384];
    int n = socket.getInputStream().read(buffer);
    return n < 0 ? "" : new String(buffer, 0, n, StandardCharsets.UTF_8);
  }
}
