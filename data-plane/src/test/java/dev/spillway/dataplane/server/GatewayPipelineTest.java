package dev.spillway.dataplane.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.config.ConfigHolder;
import dev.spillway.dataplane.mock.MockUpstream;
import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.protocol.Adapters;
import dev.spillway.dataplane.protocol.openai.OpenAiAdapter;
import java.util.Map;
import dev.spillway.dataplane.exchange.ProxyServices;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The client-side pipeline on an {@link EmbeddedChannel}: raw bytes in, parsed responses out. */
class GatewayPipelineTest {
  private final ConfigHolder config = new ConfigHolder();

  private EmbeddedChannel channel() {
    ProxyServices services = new ProxyServices(new Adapters(Map.of(ProviderType.MOCK,
        new OpenAiAdapter(new UpstreamRequest.Timeouts(1, 1, 1, 1)))),
        (loop, req, listener) -> {
          throw new AssertionError("no upstream call expected");
        }, new MockUpstream());
    EmbeddedChannel ch = new EmbeddedChannel();
    new GatewayInitializer(new Endpoints(config, services), 1024, 1024, 60).initChannel(ch);
    return ch;
  }

  /** Decodes what the server wrote; the client codec is primed with one request per expected response. */
  private static List<FullHttpResponse> responses(EmbeddedChannel server, int expected) {
    EmbeddedChannel client = new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 20));
    for (int i = 0; i < expected; i++) {
      client.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
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

  @Test
  void answersPipelinedRequestsInOrder() {
    EmbeddedChannel ch = channel();

    ch.writeInbound(Unpooled.copiedBuffer("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        + "GET /readyz HTTP/1.1\r\nHost: x\r\nx-request-id: second\r\n\r\n", StandardCharsets.US_ASCII));
    ch.runPendingTasks();
    List<FullHttpResponse> responses = responses(ch, 2);

    assertThat(responses).hasSize(2);
    assertThat(responses.get(0).status().code()).isEqualTo(200);
    assertThat(responses.get(1).status().code()).isEqualTo(503);
    assertThat(responses.get(1).headers().get("x-request-id")).isEqualTo("second");
    assertThat(responses.get(1).content().toString(StandardCharsets.UTF_8)).contains("\"code\":\"not_ready\"");
    responses.forEach(FullHttpResponse::release);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void answersAnOversizedBodyWith413AndCloses() {
    EmbeddedChannel ch = channel();

    ch.writeInbound(Unpooled.copiedBuffer("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"
        + "x".repeat(5000), StandardCharsets.US_ASCII));
    List<FullHttpResponse> responses = responses(ch, 1);

    assertThat(responses).singleElement().satisfies(r -> {
      assertThat(r.status().code()).isEqualTo(413);
      assertThat(r.content().toString(StandardCharsets.UTF_8)).contains("request_too_large");
    });
    assertThat(ch.isOpen()).isFalse();
    responses.forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }

  @Test
  void answersGarbageWith400AndCloses() {
    EmbeddedChannel ch = channel();

    ch.writeInbound(Unpooled.copiedBuffer("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        StandardCharsets.US_ASCII));
    List<FullHttpResponse> responses = responses(ch, 1);

    assertThat(responses).singleElement().satisfies(r -> assertThat(r.status().code()).isEqualTo(400));
    responses.forEach(FullHttpResponse::release);
    ch.finishAndReleaseAll();
  }
}
