package dev.spillway.testsupport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The plumbing of the provider fakes that speak other APIs than OpenAI's ({@link FakeBedrock}, {@link FakeGemini}):
 * a real HTTP/1.1 server on loopback that hands each complete request to a handler, and a writer for streamed
 * answers with pauses, holds and drops.
 */
final class FakeServerSupport implements AutoCloseable {
  /** Answers one request; runs on the server's event loop. */
  interface Handler {
    void handle(ChannelHandlerContext ctx, FullHttpRequest request, RecordedRequest recorded, boolean keepAlive);
  }

  /** How a stream is paced: hold after some events until released, drop after some, pause between. */
  record Pacing(int holdAfter, CompletableFuture<?> release, int dropAfter, Duration pause, boolean splitEvents) {
    static final Pacing NONE = new Pacing(-1, null, -1, Duration.ZERO, false);
  }

  private final EventLoopGroup group;
  private final Channel serverChannel;
  final AtomicInteger abandonedStreams = new AtomicInteger();
  final AtomicInteger completedStreams = new AtomicInteger();

  FakeServerSupport(Handler handler) {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    serverChannel = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(16 * 1024 * 1024),
                new SimpleChannelInboundHandler<FullHttpRequest>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                    Map<String, String> headers = new TreeMap<>();
                    req.headers().forEach(h -> headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
                    RecordedRequest recorded = new RecordedRequest(req.method().name(), req.uri(), headers,
                        req.content().toString(StandardCharsets.UTF_8));
                    handler.handle(ctx, req, recorded, HttpUtil.isKeepAlive(req));
                  }

                  @Override
                  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    ctx.close();
                  }
                });
          }
        })
        .bind("127.0.0.1", 0)
        .syncUninterruptibly()
        .channel();
  }

  int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  static void writeFull(ChannelHandlerContext ctx, int status, Map<String, String> headers, byte[] body,
      boolean keepAlive) {
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
        Unpooled.wrappedBuffer(body));
    headers.forEach((name, value) -> res.headers().set(name, value));
    res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    if (!keepAlive) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    var future = ctx.writeAndFlush(res);
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** Writes {@code events} one by one (each flushed on its own) as a chunked 200 answer of {@code contentType}. */
  void stream(ChannelHandlerContext ctx, String contentType, List<byte[]> events, Pacing pacing, boolean keepAlive) {
    new StreamWriter(ctx, contentType, events, pacing, keepAlive).start();
  }

  @Override
  public void close() {
    serverChannel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class StreamWriter {
    private final ChannelHandlerContext ctx;
    private final String contentType;
    private final List<byte[]> events;
    private final Pacing pacing;
    private final boolean keepAlive;
    private int next;
    private boolean finished;

    StreamWriter(ChannelHandlerContext ctx, String contentType, List<byte[]> events, Pacing pacing,
        boolean keepAlive) {
      this.ctx = ctx;
      this.contentType = contentType;
      this.events = events;
      this.pacing = pacing;
      this.keepAlive = keepAlive;
    }

    void start() {
      HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      head.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
      HttpUtil.setTransferEncodingChunked(head, true);
      ctx.writeAndFlush(head);
      ctx.channel().closeFuture().addListener(f -> {
        if (!finished) {
          abandonedStreams.incrementAndGet();
        }
      });
      writeNext();
    }

    private void writeNext() {
      if (!ctx.channel().isActive()) {
        return;
      }
      if (pacing.dropAfter() >= 0 && next == pacing.dropAfter()) {
        finished = true;
        ctx.close();
        return;
      }
      if (pacing.release() != null && next == pacing.holdAfter() && !pacing.release().isDone()) {
        pacing.release().whenComplete((v, e) -> ctx.executor().execute(this::writeNext));
        return;
      }
      if (next == events.size()) {
        finished = true;
        completedStreams.incrementAndGet();
        var future = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (!keepAlive) {
          future.addListener(ChannelFutureListener.CLOSE);
        }
        return;
      }
      byte[] event = events.get(next++);
      if (pacing.splitEvents() && event.length > 1) {
        // Two writes, two flushes: the receiver sees the event cut in the middle.
        int half = event.length / 2;
        ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(event, 0, half)));
        ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(event, half, event.length - half)))
            .addListener(f -> afterWrite(f.isSuccess()));
      } else {
        ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(event)))
            .addListener(f -> afterWrite(f.isSuccess()));
      }
    }

    private void afterWrite(boolean success) {
      if (!success) {
        return;
      }
      if (pacing.pause().isZero()) {
        writeNext();
      } else {
        ctx.executor().schedule(this::writeNext, pacing.pause().toNanos(), TimeUnit.NANOSECONDS);
      }
    }
  }
}
