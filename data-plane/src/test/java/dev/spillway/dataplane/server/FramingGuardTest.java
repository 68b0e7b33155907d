package dev.spillway.dataplane.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.config.ConfigHolder;
import dev.spillway.dataplane.config.NodeConfigCompiler;
import dev.spillway.dataplane.exchange.ProxyServices;
import dev.spillway.dataplane.metrics.MetricsText;
import dev.spillway.dataplane.metrics.PrometheusNodeMetrics;
import dev.spillway.dataplane.mock.MockUpstream;
import dev.spillway.dataplane.protocol.Adapters;
import dev.spillway.dataplane.protocol.openai.OpenAiAdapter;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Request framing on the real client pipeline ({@link EmbeddedChannel}): every shape whose body could be read two
 * ways is answered 400 and closes the connection, and what follows it (a smuggled request) is never answered.
 */
@ExtendWith(NoLeaksExtension.class)
class FramingGuardTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  /** What a smuggling probe puts after the first request: answered only if the node misreads the framing. */
  private static final String SMUGGLED = "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n";

  private static final String KEY = "sk-sw-framing000000000000000000000000000000";
  /** A ready node, so that well-framed requests with the key get all the way to validation. */
  private static final ConfigHolder CONFIG = new ConfigHolder();

  static {
    CONFIG.swap(new NodeConfigCompiler(Snapshots.NODE_TOKEN).compile(Snapshots.builder()
        .team("t")
        .key("t", KEY)
        .provider("mock", ProviderType.MOCK, null)
        .route("demo", "mock/m")
        .build(), "framing"));
  }

  private final PrometheusNodeMetrics metrics = new PrometheusNodeMetrics();

  private EmbeddedChannel channel(Duration headerTimeout) {
    ProxyServices services = new ProxyServices(new Adapters(Map.of(ProviderType.MOCK,
        new OpenAiAdapter(new UpstreamRequest.Timeouts(1, 1, 1, 1)))),
        (loop, req, listener) -> {
          throw new AssertionError("no upstream call expected");
        }, new MockUpstream());
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.freezeTime();
    new GatewayInitializer(new Endpoints(CONFIG, services, metrics),
        new ClientLimits(1024, 4096, 60, headerTimeout, 10), ConnectionLimit.NONE).initChannel(ch);
    return ch;
  }

  private EmbeddedChannel channel() {
    return channel(Duration.ofSeconds(30));
  }

  private String scrape() {
    return new String(metrics.scrape(), StandardCharsets.UTF_8);
  }

  private static void send(EmbeddedChannel ch, String raw) {
    ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    ch.runPendingTasks();
  }

  /** Decodes what the server wrote; the client codec is primed with one request per possible response. */
  private static List<FullHttpResponse> responses(EmbeddedChannel server, HttpMethod... methods) {
    EmbeddedChannel client = new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 20));
    for (HttpMethod method : methods.length == 0 ? new HttpMethod[] {HttpMethod.POST, HttpMethod.GET} : methods) {
      client.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/"));
    }
    client.releaseOutbound();
    ByteBuf out;
    while ((out = server.readOutbound()) != null) {
      client.writeInbound(out);
    }
    List<FullHttpResponse> responses = new ArrayList<>();
    Object msg;
    while ((msg = client.readInbound()) != null) {
      responses.add((FullHttpResponse) msg);
    }
    client.finishAndReleaseAll();
    return responses;
  }

  private static JsonNode body(FullHttpResponse response) {
    return JSON.readTree(response.content().toString(StandardCharsets.UTF_8));
  }

  static Stream<Arguments> ambiguousFraming() {
    return Stream.of(
        Arguments.of("unknown coding", "Transfer-Encoding: xchunked\r\n", "5\r\nhello\r\n0\r\n\r\n",
            "Transfer-Encoding 'xchunked' is not supported"),
        Arguments.of("identity without length", "Transfer-Encoding: identity\r\n", "",
            "Transfer-Encoding 'identity' is not supported"),
        Arguments.of("chunked after another coding", "Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n",
            "Transfer-Encoding 'gzip, chunked' is not supported"),
        Arguments.of("chunked twice", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n",
            "Transfer-Encoding 'chunked, chunked' is not supported"),
        Arguments.of("chunked with parameters", "Transfer-Encoding: chunked;q=1\r\n", "0\r\n\r\n",
            "Transfer-Encoding 'chunked;q=1' is not supported"),
        Arguments.of("empty coding", "Transfer-Encoding: \r\n", "", "Transfer-Encoding '' is not supported"),
        Arguments.of("not the last coding", "Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n",
            "Transfer-Encoding other than chunked alone is not supported"),
        Arguments.of("both lengths", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n",
            "Content-Length and Transfer-Encoding together are ambiguous; send one of them"),
        Arguments.of("two lengths", "Content-Length: 5\r\nContent-Length: 5\r\n", "hello",
            "more than one Content-Length header"),
        Arguments.of("a list of lengths", "Content-Length: 5, 5\r\n", "hello", "more than one Content-Length header"),
        Arguments.of("negative length", "Content-Length: -1\r\n", "", "Content-Length must be a number of bytes"),
        Arguments.of("signed length", "Content-Length: +5\r\n", "hello", "Content-Length must be a number of bytes"),
        Arguments.of("folded header hiding a length", "X-Note: a\r\n Content-Length: 5\r\n", "hello",
            "obsolete line folding (a header line that starts with a space or tab) is not accepted"),
        Arguments.of("folded coding", "Transfer-Encoding: identity\r\n\tchunked\r\n", "0\r\n\r\n",
            "obsolete line folding (a header line that starts with a space or tab) is not accepted"),
        Arguments.of("space before the colon", "Transfer-Encoding : chunked\r\n", "0\r\n\r\n",
            "malformed header line"),
        Arguments.of("vertical tab in the coding", "Transfer-Encoding: chunked\u000b\r\n", "0\r\n\r\n",
            "malformed header line"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ambiguousFraming")
  void refusesAmbiguousFramingAndNeverAnswersTheRequestBehindIt(String shape, String headers, String body,
      String message) {
    EmbeddedChannel ch = channel();

    send(ch, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n" + body + SMUGGLED);
    List<FullHttpResponse> responses = responses(ch);

    assertThat(responses).singleElement().satisfies(r -> {
      assertThat(r.status().code()).isEqualTo(400);
      assertThat(r.headers().get("connection")).isEqualTo("close");
      assertThat(body(r).path("error").path("code").asString()).isEqualTo("invalid_request");
      assertThat(body(r).path("error").path("message").asString()).startsWith(message);
    });
    assertThat(ch.isOpen()).isFalse();
    responses.forEach(FullHttpResponse::release);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void refusesAFoldedLineThatArrivesInALaterRead() {
    EmbeddedChannel ch = channel();

    send(ch, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Note: a\r\n");
    send(ch, " Content-Length: 5\r\n\r\nhello" + SMUGGLED);
    List<FullHttpResponse> responses = responses(ch);

    assertThat(responses).singleElement().satisfies(r -> assertThat(body(r).path("error").path("message")
        .asString()).startsWith("obsolete line folding"));
    responses.forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }

  @Test
  void refusesTransferEncodingInAnHttp10Request() {
    EmbeddedChannel ch = channel();

    send(ch, "POST /v1/chat/completions HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        + SMUGGLED);
    List<FullHttpResponse> responses = responses(ch);

    assertThat(responses).singleElement().satisfies(r -> assertThat(body(r).path("error").path("message")
        .asString()).isEqualTo("Transfer-Encoding is not allowed in an HTTP/1.0 request"));
    responses.forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }

  @Test
  void refusesDifferentLengthsThatNettyWouldMergeInHttp10() {
    EmbeddedChannel ch = channel();

    send(ch, "POST /v1/chat/completions HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\nhello!"
        + SMUGGLED);
    List<FullHttpResponse> responses = responses(ch);

    assertThat(responses).singleElement().satisfies(r -> assertThat(body(r).path("error").path("message")
        .asString()).isEqualTo("more than one Content-Length header"));
    responses.forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }

  @Test
  void refusesOtherMajorVersionsOfHttp() {
    EmbeddedChannel ch = channel();

    send(ch, "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n");
    List<FullHttpResponse> responses = responses(ch);

    assertThat(responses).singleElement().satisfies(r -> assertThat(body(r).path("error").path("message")
        .asString()).isEqualTo("HTTP/2.0 is not supported here; send HTTP/1.1"));
    responses.forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }

  @Test
  void answersInAnthropicsShapeOnTheMessagesApi() {
    EmbeddedChannel ch = channel();

    send(ch, "POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n" + SMUGGLED);
    List<FullHttpResponse> responses = responses(ch);

    assertThat(responses).singleElement().satisfies(r -> {
      assertThat(body(r).path("type").asString()).isEqualTo("error");
      assertThat(body(r).path("error").path("type").asString()).isEqualTo("invalid_request_error");
      assertThat(body(r).path("error").path("message").asString()).startsWith("Transfer-Encoding 'xchunked'");
    });
    responses.forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }

  @Test
  void answersTheRequestsBeforeTheRefusedOneFirstAndInOrder() {
    EmbeddedChannel ch = channel();

    send(ch, "GET /healthz HTTP/1.1\r\nHost: x\r\nx-request-id: first\r\n\r\n"
        + "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-request-id: second\r\nTransfer-Encoding: identity\r\n"
        + "\r\n" + SMUGGLED);
    List<FullHttpResponse> responses = responses(ch, HttpMethod.GET, HttpMethod.POST, HttpMethod.GET);

    assertThat(responses).extracting(r -> r.status().code()).containsExactly(200, 400);
    assertThat(responses).extracting(r -> r.headers().get("x-request-id")).containsExactly("first", "second");
    responses.forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }

  @Test
  void keepsServingWellFramedChunkedAndFixedLengthRequests() {
    EmbeddedChannel ch = channel();

    send(ch, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
        + "\r\nTransfer-Encoding: Chunked\r\n\r\n"
        + "2\r\n{}\r\n0\r\n\r\n"
        + "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
        + "\r\nContent-Length:  2 \r\n\r\n{}"
        + "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Spaced:\tvalue with\ttabs\r\n\r\n");
    List<FullHttpResponse> responses = responses(ch, HttpMethod.POST, HttpMethod.POST, HttpMethod.GET);

    assertThat(responses).extracting(r -> r.status().code()).as("both bodies read (and refused as chat requests)")
        .containsExactly(400, 400, 200);
    assertThat(ch.isOpen()).isTrue();
    responses.forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }

  @Test
  void doesNotMistakeIndentedBodiesForFoldedHeaders() {
    EmbeddedChannel ch = channel();
    String body = "\n {\n  \"model\": \"demo\",\n\t\"messages\": []\n}";

    String auth = "Authorization: Bearer " + KEY + "\r\n";
    send(ch, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: " + body.length()
        + "\r\n\r\n" + body + "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth
        + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n"
        + "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: " + body.length()
        + "\r\n\r\n");
    send(ch, body);
    send(ch, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    List<FullHttpResponse> responses = responses(ch, HttpMethod.POST, HttpMethod.POST, HttpMethod.POST,
        HttpMethod.GET);

    assertThat(responses).extracting(r -> r.status().code()).as("each body read whole (an empty messages list)")
        .containsExactly(400, 400, 400, 200);
    responses.forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }

  @Test
  void answersAHeadRequestWithoutABody() {
    EmbeddedChannel ch = channel();

    send(ch, "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    List<FullHttpResponse> responses = responses(ch, HttpMethod.HEAD, HttpMethod.GET);

    assertThat(responses).extracting(r -> r.status().code()).containsExactly(405, 200);
    assertThat(responses.get(0).content().readableBytes()).isZero();
    assertThat(responses.get(1).content().toString(StandardCharsets.UTF_8)).contains("ok");
    responses.forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }

  @Test
  void stillAnswersOversizedHeadersWith431() {
    EmbeddedChannel ch = channel();

    send(ch, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "x".repeat(5000) + "\r\n\r\n");
    List<FullHttpResponse> responses = responses(ch);

    assertThat(responses).singleElement().satisfies(r -> {
      assertThat(r.status().code()).isEqualTo(431);
      assertThat(body(r).path("error").path("message").asString()).isEqualTo("request headers are too large");
    });
    responses.forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }

  @Test
  void countsRefusalsAsInvalidRequestsOfTheirEndpoint() {
    EmbeddedChannel ch = channel();

    send(ch, "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n");
    responses(ch).forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();

    assertThat(MetricsText.value(scrape(), "spillway_requests_total", "endpoint", "/v1/embeddings", "status", "400",
        "code", "invalid_request")).isEqualTo(1);
  }

  @Test
  void closesAConnectionWhoseHeadDripsPastTheDeadlineWith408() {
    EmbeddedChannel ch = channel(Duration.ofSeconds(5));

    send(ch, "POST /v1/chat/completions HTTP/1.1\r\n");
    ch.advanceTimeBy(3, TimeUnit.SECONDS);
    send(ch, "Host: x\r\n");
    ch.advanceTimeBy(2, TimeUnit.SECONDS);
    ch.runPendingTasks();
    List<FullHttpResponse> responses = responses(ch);

    assertThat(responses).singleElement().satisfies(r -> {
      assertThat(r.status().code()).isEqualTo(408);
      assertThat(body(r).path("error").path("code").asString()).isEqualTo("request_timeout");
    });
    assertThat(ch.isOpen()).isFalse();
    assertThat(MetricsText.value(scrape(), "spillway_header_timeouts_total")).isEqualTo(1);
    responses.forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }

  @Test
  void closesANewConnectionThatSendsNothingWithoutAnAnswer() {
    EmbeddedChannel ch = channel(Duration.ofSeconds(5));

    ch.advanceTimeBy(5, TimeUnit.SECONDS);
    ch.runPendingTasks();

    assertThat(ch.isOpen()).isFalse();
    assertThat(responses(ch)).isEmpty();
    ch.finishAndReleaseAll();
  }

  @Test
  void givesEveryHeadTheWholeDeadlineAndLeavesKeepAliveGapsToTheIdleTimeout() {
    EmbeddedChannel ch = channel(Duration.ofSeconds(5));

    ch.advanceTimeBy(4, TimeUnit.SECONDS);
    send(ch, "GET /healthz HTTP/1.1\r\n");
    ch.advanceTimeBy(4, TimeUnit.SECONDS);
    send(ch, "Host: x\r\n\r\n");
    ch.advanceTimeBy(20, TimeUnit.SECONDS);
    ch.runPendingTasks();
    send(ch, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    List<FullHttpResponse> responses = responses(ch, HttpMethod.GET, HttpMethod.GET);

    assertThat(responses).extracting(r -> r.status().code()).containsExactly(200, 200);
    assertThat(ch.isOpen()).isTrue();
    responses.forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }

  @Test
  void doesNotLetBlankLinesBetweenRequestsStartTheClock() {
    EmbeddedChannel ch = channel(Duration.ofSeconds(5));

    send(ch, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n\r\n");
    ch.advanceTimeBy(10, TimeUnit.SECONDS);
    ch.runPendingTasks();

    assertThat(ch.isOpen()).isTrue();
    responses(ch, HttpMethod.GET).forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }
}
