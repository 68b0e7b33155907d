package dev.spillway.dataplane.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * HTTP/1.1 client for provider calls. Connections are pooled per event loop and per origin, so an upstream call
 * runs on the same event loop as the client request that caused it and no lock is ever taken. A pooled connection
 * that turns out to be closed by the provider is replaced once, transparently, before any response byte.
 *
 * <p>Deadlines (first byte, idle gap, total) share one timer per exchange, re-armed only when it fires, so
 * streaming a chunk costs a field write rather than a timer reschedule.
 */
public final class UpstreamClient implements Upstream, AutoCloseable {
  /** How long an idle pooled connection is kept; providers commonly close theirs after 60 s or more. */
  private static final int POOL_IDLE_SECONDS = 30;

  private final Class<? extends SocketChannel> channelType;
  private final AddressResolverGroup<InetSocketAddress> resolver;
  private final SslContext sslContext;
  private final int maxIdlePerOrigin;
  private final Map<EventLoop, LoopPool> pools = new ConcurrentHashMap<>();
  private final Map<URI, Origin> origins = new ConcurrentHashMap<>();

  public UpstreamClient(Class<? extends SocketChannel> channelType, AddressResolverGroup<InetSocketAddress> resolver,
      int maxIdlePerOrigin) {
    this.channelType = channelType;
    this.resolver = resolver;
    this.maxIdlePerOrigin = maxIdlePerOrigin;
    try {
      this.sslContext = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS").build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot create the TLS client context", e);
    }
  }

  @Override
  public UpstreamCall call(EventLoop loop, UpstreamRequest request, UpstreamListener listener) {
    Exchange exchange = new Exchange(loop, request, listener);
    if (loop.inEventLoop()) {
      exchange.start();
    } else {
      loop.execute(exchange::start);
    }
    return exchange;
  }

  /** Idle connections currently pooled (for tests and metrics). */
  public int idleConnections() {
    return pools.values().stream().mapToInt(LoopPool::size).sum();
  }

  @Override
  public void close() {
    pools.values().forEach(LoopPool::closeAll);
    resolver.close();
  }

  /** Where a request goes; {@code hostHeader} is derived, computed once rather than per request. */
  private record Origin(boolean tls, String host, int port, String hostHeader) {
    static Origin of(URI uri) {
      boolean tls = "https".equalsIgnoreCase(uri.getScheme());
      int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
      String host = uri.getHost();
      return new Origin(tls, host, port, (tls && port == 443) || (!tls && port == 80) ? host : host + ":" + port);
    }
  }

  /** Adapters reuse their URI objects, so the origin of each is worked out once (the set is the config's). */
  private Origin origin(URI uri) {
    Origin origin = origins.get(uri);
    if (origin == null) {
      origin = Origin.of(uri);
      if (origins.size() < 4096) {
        origins.put(uri, origin);
      }
    }
    return origin;
  }

  /** Idle connections of one event loop; touched only from that loop. */
  private final class LoopPool {
    private final Map<Origin, ArrayDeque<Channel>> idle = new HashMap<>();
    private final EventLoop loop;

    LoopPool(EventLoop loop) {
      this.loop = loop;
    }

    Channel poll(Origin origin) {
      ArrayDeque<Channel> channels = idle.get(origin);
      while (channels != null && !channels.isEmpty()) {
        Channel ch = channels.pollLast();
        if (ch.isActive()) {
          return ch;
        }
      }
      return null;
    }

    void offer(Origin origin, Channel ch) {
      ArrayDeque<Channel> channels = idle.computeIfAbsent(origin, o -> new ArrayDeque<>());
      if (channels.size() >= maxIdlePerOrigin || !ch.isActive()) {
        ch.close();
        return;
      }
      channels.addLast(ch);
    }

    void remove(Origin origin, Channel ch) {
      ArrayDeque<Channel> channels = idle.get(origin);
      if (channels != null) {
        channels.remove(ch);
      }
    }

    int size() {
      return idle.values().stream().mapToInt(ArrayDeque::size).sum();
    }

    void closeAll() {
      loop.execute(() -> {
        idle.values().forEach(q -> q.forEach(Channel::close));
        idle.clear();
      });
    }
  }

  private LoopPool pool(EventLoop loop) {
    return pools.computeIfAbsent(loop, LoopPool::new);
  }

  /** The last handler of every upstream connection: feeds the exchange that currently owns the connection. */
  private final class ConnectionHandler extends ChannelInboundHandlerAdapter {
    private final Origin origin;
    private Exchange exchange;

    ConnectionHandler(Origin origin) {
      this.origin = origin;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Exchange current = exchange;
      if (current == null) {
        // Nothing may arrive on an idle connection; whatever it is, the connection is no longer trustworthy.
        ReferenceCountUtil.release(msg);
        ctx.close();
        return;
      }
      current.onMessage(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      Exchange current = exchange;
      if (current != null && !current.done) {
        current.listener.onReadComplete();
      }
      ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      Exchange current = exchange;
      exchange = null;
      if (current != null) {
        current.onClosed(null);
      } else {
        pool((EventLoop) ctx.channel().eventLoop()).remove(origin, ctx.channel());
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      Exchange current = exchange;
      exchange = null;
      ctx.close();
      if (current != null) {
        current.onClosed(cause);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent && exchange == null) {
        ctx.close();
      } else {
        ctx.fireUserEventTriggered(evt);
      }
    }
  }

  private final class Exchange implements UpstreamCall {
    private final EventLoop loop;
    private final UpstreamRequest request;
    private final UpstreamListener listener;
    private final Origin origin;
    private final long startedNanos = System.nanoTime();
    private ByteBuf body;
    private Channel channel;
    private ConnectionHandler handler;
    private boolean reused;
    private boolean staleRetryUsed;
    private boolean headReceived;
    private boolean keepAlive;
    private boolean done;
    private long sentNanos;
    private long lastActivityNanos;
    private ScheduledFuture<?> timer;

    Exchange(EventLoop loop, UpstreamRequest request, UpstreamListener listener) {
      this.loop = loop;
      this.request = request;
      this.listener = listener;
      this.origin = origin(request.uri());
      this.body = request.body();
    }

    void start() {
      if (done) {
        return;
      }
      armTimer();
      Channel pooled = pool(loop).poll(origin);
      if (pooled != null) {
        reused = true;
        send(pooled);
      } else {
        connect();
      }
    }

    private void connect() {
      reused = false;
      Bootstrap bootstrap = new Bootstrap()
          .group(loop)
          .channel(channelType)
          .resolver(resolver)
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.SO_KEEPALIVE, true)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, request.timeouts().connectMs()))
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              if (origin.tls()) {
                ch.pipeline().addLast("tls", sslContext.newHandler(ch.alloc(), origin.host(), origin.port()));
              }
              ch.pipeline().addLast("http", new HttpClientCodec(4096, 16 * 1024, 64 * 1024));
              // Reader-idle only (no listener per write); an exchange in progress ignores the event.
              ch.pipeline().addLast("pool-idle", new IdleStateHandler(POOL_IDLE_SECONDS, 0, 0));
              ch.pipeline().addLast("exchange", new ConnectionHandler(origin));
            }
          });
      bootstrap.connect(origin.host(), origin.port()).addListener(future -> {
        Channel ch = ((io.netty.channel.ChannelFuture) future).channel();
        if (!future.isSuccess()) {
          Throwable cause = future.cause();
          if (cause instanceof ConnectTimeoutException) {
            fail(UpstreamFailure.Kind.CONNECT_TIMEOUT, "connecting to " + origin.host() + ":" + origin.port()
                + " timed out after " + request.timeouts().connectMs() + " ms");
          } else {
            fail(UpstreamFailure.Kind.CONNECT, "cannot connect to " + origin.host() + ":" + origin.port() + ": "
                + describe(cause));
          }
          return;
        }
        if (done) {
          ch.close();
          return;
        }
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls == null) {
          send(ch);
        } else {
          tls.handshakeFuture().addListener(handshake -> {
            if (handshake.isSuccess()) {
              send(ch);
            } else {
              ch.close();
              fail(UpstreamFailure.Kind.CONNECT, "TLS handshake with " + origin.host() + " failed: "
                  + describe(handshake.cause()));
            }
          });
        }
      });
    }

    private void send(Channel ch) {
      if (done) {
        pool(loop).offer(origin, ch);
        return;
      }
      channel = ch;
      handler = ch.pipeline().get(ConnectionHandler.class);
      handler.exchange = this;
      ch.config().setAutoRead(true);
      // The request's own headers go on the wire, not a copy (a copy was a third of the node's allocation under
      // load); sending again after a stale pooled connection sets the same values again.
      HttpHeaders headers = request.headers();
      headers.set(HttpHeaderNames.HOST, origin.hostHeader());
      headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      FullHttpRequest http = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, request.method(),
          request.pathAndQuery(), body.retainedDuplicate(), headers, EmptyHttpHeaders.INSTANCE);
      sentNanos = System.nanoTime();
      ch.writeAndFlush(http).addListener(f -> {
        if (!f.isSuccess() && !done) {
          ch.close();
        }
      });
    }

    void onMessage(Object msg) {
      if (done) {
        ReferenceCountUtil.release(msg);
        return;
      }
      lastActivityNanos = System.nanoTime();
      if (msg instanceof HttpResponse head) {
        if (head.status().code() == 100) {
          ReferenceCountUtil.release(msg);
          return;
        }
        headReceived = true;
        keepAlive = HttpUtil.isKeepAlive(head);
        releaseBody();
        listener.onHead(head);
      }
      if (msg instanceof HttpContent content) {
        ByteBuf data = content.content();
        if (data.isReadable() && !done) {
          listener.onContent(data);
        } else {
          data.release();
        }
        if (msg instanceof LastHttpContent && !done) {
          finish();
        }
      }
    }

    private void finish() {
      done = true;
      cancelTimer();
      handler.exchange = null;
      if (keepAlive && channel.isActive()) {
        channel.config().setAutoRead(true);
        pool(loop).offer(origin, channel);
      } else {
        channel.close();
      }
      listener.onEnd();
    }

    void onClosed(Throwable cause) {
      if (done) {
        return;
      }
      if (!headReceived && reused && !staleRetryUsed) {
        // The provider closed an idle pooled connection as we used it; nothing was processed, so try a fresh one.
        staleRetryUsed = true;
        channel = null;
        connect();
        return;
      }
      String what = cause == null ? "the provider closed the connection" : describe(cause);
      fail(UpstreamFailure.Kind.CLOSED, headReceived ? what + " in the middle of the response" : what
          + " before responding");
    }

    @Override
    public void cancel() {
      if (loop.inEventLoop()) {
        cancelNow();
      } else {
        loop.execute(this::cancelNow);
      }
    }

    private void cancelNow() {
      if (done) {
        return;
      }
      done = true;
      cancelTimer();
      releaseBody();
      if (channel != null) {
        if (handler != null) {
          handler.exchange = null;
        }
        channel.close();
      }
    }

    @Override
    public boolean signalsReadComplete() {
      return true;
    }

    @Override
    public void setReading(boolean reading) {
      Channel ch = channel;
      if (ch != null && !done) {
        ch.config().setAutoRead(reading);
      }
    }

    private void fail(UpstreamFailure.Kind kind, String message) {
      if (done) {
        return;
      }
      done = true;
      cancelTimer();
      releaseBody();
      if (channel != null) {
        if (handler != null) {
          handler.exchange = null;
        }
        channel.close();
      }
      listener.onFailure(new UpstreamFailure(kind, message, !headReceived));
    }

    private void releaseBody() {
      if (body != null) {
        body.release();
        body = null;
      }
    }

    private void armTimer() {
      long next = nextDeadlineNanos();
      if (next == Long.MAX_VALUE) {
        return;
      }
      long delay = Math.max(0, next - System.nanoTime());
      timer = loop.schedule(this::onTimer, delay, TimeUnit.NANOSECONDS);
    }

    private void onTimer() {
      timer = null;
      if (done) {
        return;
      }
      long now = System.nanoTime();
      UpstreamRequest.Timeouts t = request.timeouts();
      if (t.totalMs() > 0 && now - startedNanos >= TimeUnit.MILLISECONDS.toNanos(t.totalMs())) {
        fail(UpstreamFailure.Kind.TOTAL_TIMEOUT, "the provider did not finish within " + t.totalMs() + " ms");
      } else if (!headReceived && sentNanos > 0 && t.firstByteMs() > 0
          && now - sentNanos >= TimeUnit.MILLISECONDS.toNanos(t.firstByteMs())) {
        fail(UpstreamFailure.Kind.FIRST_BYTE_TIMEOUT, "the provider sent nothing for " + t.firstByteMs() + " ms");
      } else if (headReceived && t.idleMs() > 0
          && now - lastActivityNanos >= TimeUnit.MILLISECONDS.toNanos(t.idleMs())) {
        fail(UpstreamFailure.Kind.IDLE_TIMEOUT, "the provider paused for more than " + t.idleMs() + " ms");
      } else {
        armTimer();
      }
    }

    /** The earliest deadline that can still fire; before sending, the first-byte clock has not started yet. */
    private long nextDeadlineNanos() {
      UpstreamRequest.Timeouts t = request.timeouts();
      long next = Long.MAX_VALUE;
      if (t.totalMs() > 0) {
        next = startedNanos + TimeUnit.MILLISECONDS.toNanos(t.totalMs());
      }
      if (!headReceived) {
        long firstByte = t.firstByteMs() > 0
            ? (sentNanos > 0 ? sentNanos : System.nanoTime()) + TimeUnit.MILLISECONDS.toNanos(t.firstByteMs())
            : Long.MAX_VALUE;
        next = Math.min(next, firstByte);
      } else if (t.idleMs() > 0) {
        next = Math.min(next, lastActivityNanos + TimeUnit.MILLISECONDS.toNanos(t.idleMs()));
      }
      return next;
    }

    private void cancelTimer() {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
    }
  }

  private static String describe(Throwable cause) {
    if (cause == null) {
      return "unknown error";
    }
    String message = cause.getMessage();
    return message == null ? cause.getClass().getSimpleName() : message;
  }
}
