package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import dev.spillway.testsupport.TestCertificates;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.pkitesting.X509Bundle;
import io.netty.util.ReferenceCountUtil;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A client that stops reading in the middle of a long stream must not make the node buffer the provider's answer:
 * the node stops reading from the provider, which then sees TCP backpressure (HTTP/1.1) or a stream window that is
 * no longer returned (HTTP/2), and when the client disconnects the upstream call is cancelled (the connection closed,
 * or the HTTP/2 stream reset). Measured here: the provider got about 3 MB out either way before it stopped.
 */
@ExtendWith(NoLeaksExtension.class)
class SlowClientIT {
  static final String KEY = "sk-sw-slowclient000000000000000000000000000";
  /** What the provider would send if nothing held it back; far more than any buffer on the way. */
  static final long STREAM_LIMIT_BYTES = 1L << 30;
  /**
   * Kernel socket buffers on the two hops (autotuned on loopback to a few MB each) plus the node's 64 KiB write
   * water mark: what may legitimately be in flight once everything has stopped (about 3 MB measured here).
   */
  static final long IN_FLIGHT_BOUND_BYTES = 16L << 20;

  static EndlessStreamProvider provider;
  /** The same over TLS and HTTP/2, where flow control (a 256 KiB window per stream) is the backpressure. */
  static EndlessHttp2Provider http2Provider;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;

  @BeforeAll
  static void start() throws Exception {
    provider = new EndlessStreamProvider();
    http2Provider = new EndlessHttp2Provider();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("endless", ProviderType.OPENAI_COMPATIBLE, "http://127.0.0.1:" + provider.port() + "/v1",
            "sk-upstream-0000000000000")
        .route("endless", "endless/m")
        .provider("endless-h2", ProviderType.OPENAI_COMPATIBLE, "https://127.0.0.1:" + http2Provider.port() + "/v1",
            "sk-upstream-0000000000000")
        .route("endless-h2", "endless-h2/m")
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("slow-client-it"),
        Map.of("SPILLWAY_UPSTREAM_CA_FILE", TestCertificates.caFile().toString()));
    TestNodes.awaitVersion(node, 1);
  }

  @AfterAll
  static void stop() {
    node.close();
    controlPlane.close();
    provider.close();
    http2Provider.close();
  }

  @Test
  void pausesTheProviderWhileTheClientDoesNotReadAndCancelsItWhenTheClientLeaves() throws Exception {
    pausesAndCancels("endless", provider.bytesSent, provider.closed);
  }

  @Test
  void pausesAnHttp2StreamByFlowControlAndResetsItWhenTheClientLeaves() throws Exception {
    pausesAndCancels("endless-h2", http2Provider.bytesSent, http2Provider.closed);
  }

  private static void pausesAndCancels(String model, AtomicLong bytesSent, CompletableFuture<Void> closed)
      throws Exception {
    String body = "{\"model\":\"" + model + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}";
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.connect(new InetSocketAddress("127.0.0.1", node.port()));
    OutputStream out = socket.getOutputStream();
    out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
        .getBytes(StandardCharsets.UTF_8));
    out.flush();
    InputStream in = socket.getInputStream();
    byte[] first = new byte[4096];
    int read = in.read(first);
    assertThat(new String(first, 0, Math.max(read, 0), StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");
    // From here on the client reads nothing.

    AtomicLong previous = new AtomicLong(-1);
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
        .until(() -> {
          long now = bytesSent.get();
          return now > 0 && previous.getAndSet(now) == now;
        });
    long plateau = bytesSent.get();

    assertThat(plateau).as("bytes the provider could send before backpressure stopped it")
        .isLessThan(IN_FLIGHT_BOUND_BYTES);
    assertThat(closed).as("a paused stream is not cancelled").isNotDone();

    socket.close();

    await().atMost(Duration.ofSeconds(5)).until(closed::isDone);
    assertThat(bytesSent.get()).isLessThan(STREAM_LIMIT_BYTES);
  }

  /** Streams chunk after chunk as fast as its socket accepts them, counting what the socket took. */
  static final class EndlessStreamProvider implements AutoCloseable {
    final AtomicLong bytesSent = new AtomicLong();
    final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final byte[] chunk;

    EndlessStreamProvider() {
      chunk = ("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
          + "{\"content\":\"" + "x".repeat(900) + "\"}}]}\n\n").getBytes(StandardCharsets.UTF_8);
      server = new ServerBootstrap()
          .group(group)
          .channel(NioServerSocketChannel.class)
          .childOption(ChannelOption.SO_SNDBUF, 16 * 1024)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                  new SimpleChannelInboundHandler<FullHttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                      ctx.channel().closeFuture().addListener(f -> closed.complete(null));
                      HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                      head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
                      HttpUtil.setTransferEncodingChunked(head, true);
                      ctx.writeAndFlush(head);
                      writeNext(ctx);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                      ctx.close();
                    }
                  });
            }
          })
          .bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    private void writeNext(ChannelHandlerContext ctx) {
      if (!ctx.channel().isActive() || bytesSent.get() >= STREAM_LIMIT_BYTES) {
        return;
      }
      ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(chunk))).addListener(f -> {
        if (f.isSuccess()) {
          bytesSent.addAndGet(chunk.length);
          writeNext(ctx);
        }
      });
    }

    int port() {
      return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
      server.close().syncUninterruptibly();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  /**
   * An endless stream over TLS and HTTP/2: a DATA frame after each one the connection took, so it sends exactly as
   * fast as the node's stream window lets it. The stream channel closes when the node resets the stream.
   */
  static final class EndlessHttp2Provider implements AutoCloseable {
    final AtomicLong bytesSent = new AtomicLong();
    final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final byte[] chunk = ("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
        + "\"delta\":{\"content\":\"" + "x".repeat(900) + "\"}}]}\n\n").getBytes(StandardCharsets.UTF_8);

    EndlessHttp2Provider() throws Exception {
      X509Bundle certificate = TestCertificates.serverCertificate(List.of("127.0.0.1"));
      SslContext tls = SslContextBuilder.forServer(certificate.getKeyPair().getPrivate(),
              certificate.getCertificatePath())
          .sslProvider(SslProvider.JDK)
          .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
              ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
              ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
          .build();
      server = new ServerBootstrap()
          .group(group)
          .channel(NioServerSocketChannel.class)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(tls.newHandler(ch.alloc()), Http2FrameCodecBuilder.forServer().build(),
                  new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                      stream.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                          boolean requestEnded = msg instanceof Http2HeadersFrame headers ? headers.isEndStream()
                              : msg instanceof Http2DataFrame data && data.isEndStream();
                          ReferenceCountUtil.release(msg);
                          if (requestEnded) {
                            ctx.channel().closeFuture().addListener(f -> closed.complete(null));
                            ctx.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                                .set("content-type", "text/event-stream")));
                            writeNext(ctx);
                          }
                        }
                      });
                    }
                  }));
            }
          })
          .bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    private void writeNext(ChannelHandlerContext ctx) {
      if (!ctx.channel().isActive() || bytesSent.get() >= STREAM_LIMIT_BYTES) {
        return;
      }
      // The write completes only once flow control let the frame onto the connection.
      ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(chunk))).addListener(f -> {
        if (f.isSuccess()) {
          bytesSent.addAndGet(chunk.length);
          writeNext(ctx);
        }
      });
    }

    int port() {
      return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
      server.close().syncUninterruptibly();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
