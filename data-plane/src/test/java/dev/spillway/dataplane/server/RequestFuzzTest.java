package dev.spillway.dataplane.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.config.ConfigHolder;
import dev.spillway.dataplane.config.NodeConfigCompiler;
import dev.spillway.dataplane.metrics.PrometheusNodeMetrics;
import dev.spillway.dataplane.mock.MockUpstream;
import dev.spillway.dataplane.exchange.ProviderAdapters;
import dev.spillway.dataplane.exchange.ProxyServices;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.testsupport.NettyLeaks;
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
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Property-based fuzzing of the request path: the real client pipeline (codec, limits, aggregator, gateway,
 * endpoints, the chat proxy and the in-process mock provider) on an {@link EmbeddedChannel}. Whatever the body, the
 * node answers exactly once, with a well-formed response (an error in the contract's shape for anything it refuses),
 * and the connection stays usable; nothing throws and no buffer leaks.
 */
class RequestFuzzTest {
  private static final String KEY = "sk-sw-fuzz0000000000000000000000000000000000";
  private static final String VALID = "{\"model\":\"demo\",\"stream\":false,\"messages\":[{\"role\":\"user\","
      + "\"content\":\"hi\"}],\"temperature\":0.5,\"stream_options\":{\"include_usage\":true}}";
  private static final int MAX_BODY = 16 * 1024;
  private static final JsonMapper JSON = JsonMapper.builder().build();
  /** What a parser or network library says about itself, which a client must never read in an error message. */
  private static final String[] LIBRARY_INTERNALS = {"StreamReadConstraints", "JsonReadFeature", "StreamReadFeature",
      "DeserializationFeature", "Source: REDACTED", "io.netty", "finishConnect", "Exception"};

  private static final ConfigHolder CONFIG = new ConfigHolder();

  static {
    CONFIG.swap(new NodeConfigCompiler(Snapshots.NODE_TOKEN).compile(Snapshots.builder()
        .team("t")
        .key("t", KEY)
        .provider("mock", ProviderType.MOCK, null)
        .route("demo", "mock/m")
        .build(), "fuzz"));
  }

  @BeforeContainer
  static void clearLeaks() {
    NettyLeaks.collect();
    NettyLeaks.clear();
  }

  @AfterContainer
  static void assertNoLeaks() {
    assertThat(NettyLeaks.collect()).as("Netty buffer leaks").isEmpty();
  }

  private static EmbeddedChannel channel() {
    ProxyServices services = new ProxyServices(ProviderAdapters.all(new UpstreamRequest.Timeouts(1000, 1000, 1000,
        1000)), (loop, req, listener) -> {
          req.body().release();
          throw new AssertionError("only the in-process mock is configured");
        }, new MockUpstream());
    EmbeddedChannel ch = new EmbeddedChannel();
    new GatewayInitializer(new Endpoints(CONFIG, services, new PrometheusNodeMetrics()), MAX_BODY, 8192, 60)
        .initChannel(ch);
    return ch;
  }

  /** Tokens of chat requests, glued together at random: mostly almost-JSON, sometimes valid. */
  @Provide
  Arbitrary<String> garbledJson() {
    Arbitrary<String> token = Arbitraries.of("{", "}", "[", "]", ",", ":", "\"model\"", "\"demo\"", "\"messages\"",
        "\"role\"", "\"user\"", "\"content\"", "\"hi\"", "\"stream\"", "true", "false", "null", "1", "-0.5e309",
        "1e99999999", "\"\\u0000\"", "\"\\ud800\"", "\"tools\"", "\"n\"", "\"stream_options\"", "\"include_usage\"",
        " ", "\n", "\"", "\\", "é", "\u0000");
    return token.list().ofMaxSize(80).map(parts -> String.join("", parts));
  }

  /** The valid request with random edits: deletions, insertions, replacements, truncation. */
  @Provide
  Arbitrary<String> mutatedValid() {
    Arbitrary<Tuple.Tuple3<Integer, Integer, String>> edit = Combinators.combine(
        Arbitraries.integers().between(0, VALID.length()), Arbitraries.integers().between(0, 8),
        Arbitraries.strings().ofMaxLength(6)).as(Tuple::of);
    return edit.list().ofMinSize(1).ofMaxSize(6).map(edits -> {
      StringBuilder body = new StringBuilder(VALID);
      for (Tuple.Tuple3<Integer, Integer, String> e : edits) {
        int at = Math.min(e.get1(), body.length());
        int end = Math.min(body.length(), at + e.get2());
        body.replace(at, end, e.get3());
      }
      return body.toString();
    });
  }

  @Provide
  Arbitrary<String> bodies() {
    Arbitrary<String> deep = Arbitraries.integers().between(100, 3000).map(n -> "{\"model\":" + "[".repeat(n)
        + "]".repeat(n) + "}");
    Arbitrary<String> streaming = mutatedValid().map(b -> b.replace("\"stream\":false", "\"stream\":true"));
    return Arbitraries.frequencyOf(Tuple.of(4, garbledJson()), Tuple.of(4, mutatedValid()), Tuple.of(1, deep),
        Tuple.of(2, streaming), Tuple.of(1, Arbitraries.strings().ofMaxLength(200)),
        Tuple.of(1, Arbitraries.just(VALID)));
  }

  @Property(tries = 1500)
  void answersEveryBodyOnceWithAWellFormedResponseAndStaysUsable(@ForAll("bodies") String body) {
    EmbeddedChannel ch = channel();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
        + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n";
    ch.writeInbound(Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), bytes));
    ch.writeInbound(Unpooled.copiedBuffer("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", StandardCharsets.US_ASCII));
    drain(ch);

    List<FullHttpResponse> responses = responses(ch, 2);
    try {
      assertThat(responses).as("one answer to the fuzzed request, one to the health check after it").hasSize(2);
      FullHttpResponse answer = responses.get(0);
      int status = answer.status().code();
      String text = answer.content().toString(StandardCharsets.UTF_8);
      assertThat(status).isIn(200, 400, 404, 413);
      Statistics.label("status").collect(status);
      if (status >= 400) {
        JsonNode error = JSON.readTree(text).path("error");
        assertThat(error.path("message").isString()).as(text).isTrue();
        assertThat(error.path("code").isString()).as(text).isTrue();
        assertThat(error.path("message").asString()).as("no library internals in %s", text)
            .doesNotContainIgnoringCase("jackson").doesNotContain(LIBRARY_INTERNALS);
      } else if (answer.headers().get("content-type").startsWith("text/event-stream")) {
        assertThat(text).endsWith("data: [DONE]\n\n");
      } else {
        assertThat(JSON.readTree(text).path("choices").isArray()).as(text).isTrue();
      }
      assertThat(responses.get(1).status().code()).isEqualTo(200);
    } finally {
      responses.forEach(FullHttpResponse::release);
      ch.finishAndReleaseAll();
    }
    // The fuzz must reach the proxy (answers) as well as the parser and validation (refusals).
    Statistics.label("status").coverage(c -> {
      c.check(200).count(n -> n > 0);
      c.check(400).count(n -> n > 0);
    });
  }

  @Property(tries = 1000)
  void survivesArbitraryBytesOnTheConnection(@ForAll("rawHttp") byte[] raw) {
    EmbeddedChannel ch = channel();
    ch.writeInbound(Unpooled.wrappedBuffer(raw));
    drain(ch);

    List<FullHttpResponse> responses = responses(ch, 4);
    try {
      assertThat(responses).allSatisfy(r -> assertThat(r.status().code()).isBetween(200, 599));
      assertThat(responses).allSatisfy(r -> assertThat(r.status().code()).isNotIn(500, 502, 504));
    } finally {
      responses.forEach(FullHttpResponse::release);
      ch.finishAndReleaseAll();
    }
  }

  @Provide
  Arbitrary<byte[]> rawHttp() {
    Arbitrary<String> token = Arbitraries.of("GET ", "POST ", "/v1/chat/completions", "/healthz", "/metrics",
        " HTTP/1.1", " HTTP/1.0", "\r\n", "\n", "Host: x", "Content-Length: 5", "Content-Length: -1",
        "Content-Length: 99999999999", "Transfer-Encoding: chunked", "0\r\n\r\n", "5\r\nhello\r\n",
        "Authorization: Bearer " + KEY, "Expect: 100-continue", ": ", "Connection: close", VALID, "x".repeat(9000));
    Arbitrary<byte[]> text = token.list().ofMaxSize(25).map(parts -> String.join("", parts)
        .getBytes(StandardCharsets.UTF_8));
    return Arbitraries.frequencyOf(Tuple.of(4, text), Tuple.of(1, Arbitraries.bytes().array(byte[].class)
        .ofMaxSize(500)));
  }

  /** Runs the mock provider's tasks until nothing more happens. */
  private static void drain(EmbeddedChannel ch) {
    for (int i = 0; i < 50 && ch.isOpen(); i++) {
      ch.runPendingTasks();
      if (!ch.hasPendingTasks()) {
        ch.runPendingTasks();
        if (!ch.hasPendingTasks()) {
          return;
        }
      }
    }
  }

  private static List<FullHttpResponse> responses(EmbeddedChannel server, int primed) {
    EmbeddedChannel client = new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 22));
    for (int i = 0; i < primed; i++) {
      client.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/"));
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
}
