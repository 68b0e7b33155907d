package dev.spillway.dataplane.upstream;

import dev.spillway.config.ProviderAddressPolicy;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
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
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * HTTP client for provider calls: HTTP/1.1, and HTTP/2 with providers that choose it by ALPN on a TLS connection.
 * Connections are pooled per event loop and per origin, so an upstream call runs on the same event loop as the client
 * request that caused it and no lock is ever taken.
 *
 * <ul>
 *   <li>HTTP/1.1: keep-alive connections, one exchange at a time each; idle ones wait in a stack.
 *   <li>HTTP/2: one {@link MultiplexedConnection} per origin, each exchange on its own stream channel (the stream
 *       speaks {@code HttpObject}s, so an exchange reads the same either way). Another connection is opened only
 *       when the peer's concurrent-stream limit is reached or the connection is going away.
 * </ul>
 *
 * <p>Until an origin is known to speak HTTP/1.1, an exchange that finds no usable connection while a TLS connection
 * to that origin is being set up waits for it instead of opening its own: otherwise a burst at start-up would open
 * one HTTP/2 connection per request. A pooled connection or stream that turns out to be dead is replaced once,
 * transparently, before any response byte.
 *
 * <p>Deadlines (first byte, idle gap, total) share one timer per exchange, re-armed only when it fires, so
 * streaming a chunk costs a field write rather than a timer reschedule.
 */
public final class UpstreamClient implements Upstream, AutoCloseable {
  /** How long an idle pooled connection is kept; providers commonly close theirs after 60 s or more. */
  private static final int POOL_IDLE_SECONDS = 30;
  /** Stateless, so one instance serves every stream. */
  private static final Http2StreamFrameToHttpObjectCodec STREAM_CODEC = new Http2StreamFrameToHttpObjectCodec(false);

  private final Class<? extends SocketChannel> channelType;
  private final AddressResolverGroup<InetSocketAddress> resolver;
  private final AddressGuard addressGuard;
  private final SslContext sslContext;
  private final int maxIdlePerOrigin;
  private final Map<EventLoop, LoopPool> pools = new ConcurrentHashMap<>();
  private final Map<URI, Origin> origins = new ConcurrentHashMap<>();
  private final ChannelHandler streamInitializer = new StreamInitializer();

  public UpstreamClient(Class<? extends SocketChannel> channelType, AddressResolverGroup<InetSocketAddress> resolver,
      int maxIdlePerOrigin, ProviderAddressPolicy addresses) {
    this(channelType, resolver, maxIdlePerOrigin, null, addresses);
  }

  /**
   * @param extraTrust a PEM bundle of CA certificates trusted in addition to the JDK's (private CAs), or null
   * @param addresses  which resolved addresses a connection may go to ({@code SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS})
   */
  public UpstreamClient(Class<? extends SocketChannel> channelType, AddressResolverGroup<InetSocketAddress> resolver,
      int maxIdlePerOrigin, Path extraTrust, ProviderAddressPolicy addresses) {
    this.channelType = channelType;
    this.addressGuard = new AddressGuard(addresses);
    this.resolver = resolver;
    this.maxIdlePerOrigin = maxIdlePerOrigin;
    this.sslContext = UpstreamTls.clientContext(extraTrust);
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

  /** Pooled connections without an exchange: idle HTTP/1.1 ones and HTTP/2 ones with no open stream. */
  public int idleConnections() {
    return pools.values().stream().mapToInt(LoopPool::idleCount).sum();
  }

  /** Open HTTP/2 connections (for tests and metrics). */
  public int multiplexedConnections() {
    return pools.values().stream().mapToInt(LoopPool::multiplexedCount).sum();
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

  private LoopPool pool(EventLoop loop) {
    return pools.computeIfAbsent(loop, LoopPool::new);
  }

  /** The connections of one event loop; touched only from that loop. */
  private final class LoopPool {
    private final Map<Origin, OriginPool> byOrigin = new HashMap<>();
    private final EventLoop loop;

    LoopPool(EventLoop loop) {
      this.loop = loop;
    }

    OriginPool get(Origin origin) {
      OriginPool pool = byOrigin.get(origin);
      if (pool == null) {
        pool = new OriginPool();
        byOrigin.put(origin, pool);
      }
      return pool;
    }

    int idleCount() {
      return byOrigin.values().stream().mapToInt(OriginPool::idleCount).sum();
    }

    int multiplexedCount() {
      return byOrigin.values().stream().mapToInt(p -> p.multiplexed.size()).sum();
    }

    void closeAll() {
      loop.execute(() -> {
        byOrigin.values().forEach(OriginPool::closeAll);
        byOrigin.clear();
      });
    }
  }

  /** One origin's connections on one event loop. */
  private final class OriginPool {
    /** HTTP/1.1 connections without an exchange, most recently used last. */
    final ArrayDeque<Channel> idle = new ArrayDeque<>();
    /** HTTP/2 connections, oldest first. */
    final List<MultiplexedConnection> multiplexed = new ArrayList<>(1);
    /** A TLS connection being set up that later exchanges may share once it proves to speak HTTP/2. */
    Connecting negotiating;
    /** The last TLS connection to this origin negotiated HTTP/1.1, so exchanges connect without waiting. */
    boolean http1;

    Channel pollIdle() {
      while (!idle.isEmpty()) {
        Channel ch = idle.pollLast();
        if (ch.isActive()) {
          return ch;
        }
      }
      return null;
    }

    void offerIdle(Channel ch) {
      if (idle.size() >= maxIdlePerOrigin || !ch.isActive()) {
        ch.close();
        return;
      }
      idle.addLast(ch);
    }

    MultiplexedConnection withRoom() {
      for (int i = 0; i < multiplexed.size(); i++) {
        MultiplexedConnection connection = multiplexed.get(i);
        if (connection.hasRoom()) {
          return connection;
        }
      }
      return null;
    }

    int idleCount() {
      int count = idle.size();
      for (MultiplexedConnection connection : multiplexed) {
        count += connection.openStreams() == 0 ? 1 : 0;
      }
      return count;
    }

    void closeAll() {
      idle.forEach(Channel::close);
      idle.clear();
      List.copyOf(multiplexed).forEach(MultiplexedConnection::close);
    }
  }

  private static void addHttp1(ChannelPipeline pipeline, ConnectionHandler handler) {
    pipeline.addLast("http", new HttpClientCodec(4096, 16 * 1024, 64 * 1024));
    // Reader-idle only (no listener per write); an exchange in progress ignores the event.
    pipeline.addLast("pool-idle", new IdleStateHandler(POOL_IDLE_SECONDS, 0, 0));
    pipeline.addLast("exchange", handler);
  }

  /** Feeds the exchange that currently owns a connection (HTTP/1.1) or a stream (HTTP/2). */
  private abstract static class ExchangeHandler extends ChannelInboundHandlerAdapter {
    Exchange exchange;

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      Exchange current = exchange;
      if (current != null && !current.done) {
        current.listener.onReadComplete();
      }
      ctx.fireChannelReadComplete();
    }
  }

  /** The last handler of every HTTP/1.1 connection. */
  private static final class ConnectionHandler extends ExchangeHandler {
    private final OriginPool pool;

    ConnectionHandler(OriginPool pool) {
      this.pool = pool;
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
    public void channelInactive(ChannelHandlerContext ctx) {
      Exchange current = exchange;
      exchange = null;
      if (current != null) {
        current.onClosed(null);
      } else {
        pool.idle.remove(ctx.channel());
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

  /** Sets up each HTTP/2 stream channel: frames to and from {@code HttpObject}s, then the exchange. */
  @ChannelHandler.Sharable
  private static final class StreamInitializer extends ChannelInitializer<Http2StreamChannel> {
    @Override
    protected void initChannel(Http2StreamChannel ch) {
      ch.pipeline().addLast("http", STREAM_CODEC);
      ch.pipeline().addLast("exchange", new StreamHandler());
    }
  }

  /** The last handler of an HTTP/2 stream channel, which serves one exchange and closes with it. */
  private static final class StreamHandler extends ExchangeHandler {
    /** The provider's RST_STREAM error code, if it reset the stream. */
    long resetCode = -1;
    /** A GOAWAY said the provider never processed this stream, so sending it again is safe. */
    boolean unprocessed;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Exchange current = exchange;
      if (current == null) {
        ReferenceCountUtil.release(msg);
        return;
      }
      current.onMessage(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof Http2ResetFrame reset) {
        resetCode = reset.errorCode();
      } else if (evt instanceof Http2GoAwayFrame) {
        unprocessed = true;
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      Exchange current = exchange;
      exchange = null;
      if (current != null) {
        current.onStreamClosed(this);
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
  }

  /**
   * One new connection being set up, for {@code first} and, when it is the origin's {@code negotiating} one, for
   * the exchanges that wait for it. It ends in exactly one of {@link #http1}, {@link #ready} or {@link #failed}.
   */
  private final class Connecting implements MultiplexedConnection.Events {
    private final Origin origin;
    private final OriginPool pool;
    private final Exchange first;
    private final List<Exchange> waiters = new ArrayList<>(0);
    private ScheduledFuture<?> settingsTimer;
    private boolean settingsTimedOut;
    private boolean resolved;

    Connecting(Origin origin, OriginPool pool, Exchange first) {
      this.origin = origin;
      this.pool = pool;
      this.first = first;
    }

    void start() {
      Bootstrap bootstrap = new Bootstrap()
          .group(first.loop)
          .channel(channelType)
          .resolver(resolver)
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.SO_KEEPALIVE, true)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectMs()))
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              // Sees the resolved address on connect, so the policy judges what the socket would really reach.
              ch.pipeline().addFirst("address-guard", addressGuard);
              if (origin.tls()) {
                SslHandler tls = sslContext.newHandler(ch.alloc(), origin.host(), origin.port());
                if (connectMs() > 0) {
                  // The handshake is part of connecting: bounded by the connect timeout, not Netty's 10 s default.
                  tls.setHandshakeTimeoutMillis(connectMs());
                }
                ch.pipeline().addLast("tls", tls);
                ch.pipeline().addLast("alpn", new ProtocolSelection(Connecting.this));
              } else {
                addHttp1(ch.pipeline(), new ConnectionHandler(pool));
              }
            }
          });
      bootstrap.connect(origin.host(), origin.port()).addListener(future -> {
        Channel ch = ((ChannelFuture) future).channel();
        if (!future.isSuccess()) {
          Throwable cause = future.cause();
          if (cause instanceof AddressGuard.RefusedAddressException) {
            failed(UpstreamFailure.Kind.CONNECT, cause.getMessage());
          } else if (cause instanceof ConnectTimeoutException) {
            failed(UpstreamFailure.Kind.CONNECT_TIMEOUT, "cannot connect to " + origin.host() + ":" + origin.port()
                + ": connection timed out after " + connectMs() + " ms");
          } else {
            failed(UpstreamFailure.Kind.CONNECT, NetworkErrors.connectFailure(cause, origin.host(), origin.port()));
          }
          return;
        }
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls == null) {
          http1(ch);
          return;
        }
        // Success goes on in ProtocolSelection, once the pipeline suits the protocol the provider chose.
        tls.handshakeFuture().addListener(handshake -> {
          if (handshake.isSuccess()) {
            return;
          }
          ch.close();
          if (handshake.cause() instanceof SslHandshakeTimeoutException) {
            failed(UpstreamFailure.Kind.CONNECT_TIMEOUT, "TLS handshake with " + origin.host() + " timed out after "
                + connectMs() + " ms");
          } else {
            failed(UpstreamFailure.Kind.CONNECT, "TLS handshake with " + origin.host() + " failed: "
                + UpstreamTls.describeHandshakeFailure(handshake.cause()));
          }
        });
      });
    }

    private long connectMs() {
      return first.request.timeouts().connectMs();
    }

    /** An HTTP/1.1 connection, ready for a request. */
    void http1(Channel ch) {
      if (resolved) {
        ch.close();
        return;
      }
      resolved = true;
      release();
      if (origin.tls()) {
        pool.http1 = true;
      }
      if (!first.done) {
        first.send(ch);
      } else if (origin.tls() && live()) {
        pool.offerIdle(ch);
      } else {
        ch.close();
      }
      // One exchange per HTTP/1.1 connection: the others find the origin's pool as it now is.
      for (Exchange waiter : waiters) {
        waiter.acquire(true);
      }
    }

    /** TLS chose {@code h2}: the connection takes streams once the peer's SETTINGS arrive (or fails in time). */
    void http2(MultiplexedConnection connection) {
      long connectMs = connectMs();
      if (connectMs > 0) {
        settingsTimer = first.loop.schedule(() -> {
          if (!connection.isReady()) {
            settingsTimedOut = true;
            connection.close();
          }
        }, connectMs, TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public void ready(MultiplexedConnection connection) {
      if (settingsTimer != null) {
        settingsTimer.cancel(false);
      }
      if (resolved) {
        connection.close();
        return;
      }
      resolved = true;
      release();
      pool.http1 = false;
      pool.multiplexed.add(connection);
      first.onMultiplexed(connection);
      for (Exchange waiter : waiters) {
        waiter.onMultiplexed(connection);
      }
    }

    @Override
    public void closed(MultiplexedConnection connection) {
      pool.multiplexed.remove(connection);
      if (!connection.isReady()) {
        failed(settingsTimedOut ? UpstreamFailure.Kind.CONNECT_TIMEOUT : UpstreamFailure.Kind.CONNECT,
            settingsTimedOut ? origin.host() + " sent no HTTP/2 settings within " + connectMs() + " ms"
                : origin.host() + " closed the HTTP/2 connection while setting it up");
      }
    }

    /** The connection could not be made: every exchange that wanted it fails (each may retry elsewhere). */
    void failed(UpstreamFailure.Kind kind, String message) {
      if (resolved) {
        return;
      }
      resolved = true;
      release();
      first.fail(kind, message);
      for (Exchange waiter : waiters) {
        waiter.fail(kind, message);
      }
    }

    private void release() {
      if (pool.negotiating == this) {
        pool.negotiating = null;
      }
    }

    private boolean live() {
      for (Exchange waiter : waiters) {
        if (!waiter.done) {
          return true;
        }
      }
      return false;
    }
  }

  /** Completes the pipeline of a TLS connection for the protocol that ALPN chose (HTTP/1.1 when none). */
  private final class ProtocolSelection extends ApplicationProtocolNegotiationHandler {
    private final Connecting connecting;

    ProtocolSelection(Connecting connecting) {
      super(ApplicationProtocolNames.HTTP_1_1);
      this.connecting = connecting;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
      if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
        connecting.http2(MultiplexedConnection.install(ctx.pipeline(), POOL_IDLE_SECONDS, streamInitializer,
            connecting));
      } else {
        addHttp1(ctx.pipeline(), new ConnectionHandler(connecting.pool));
        connecting.http1(ctx.channel());
      }
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
      // Reported to the exchanges by the handshake future, with a readable reason.
      ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private final class Exchange implements UpstreamCall {
    private final EventLoop loop;
    private final UpstreamRequest request;
    private final UpstreamListener listener;
    private final Origin origin;
    private final long startedNanos = System.nanoTime();
    private ByteBuf body;
    private OriginPool pool;
    private Channel channel;
    private ExchangeHandler handler;
    private boolean multiplexed;
    private boolean reused;
    private boolean staleRetryUsed;
    private boolean informational;
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
      pool = pool(loop).get(origin);
      acquire(true);
    }

    /** A connection for this exchange: an idle one, a stream on a shared one, the one being set up, or a new one. */
    void acquire(boolean mayUseIdle) {
      if (done) {
        return;
      }
      if (mayUseIdle) {
        Channel idle = pool.pollIdle();
        if (idle != null) {
          reused = true;
          send(idle);
          return;
        }
      }
      if (origin.tls()) {
        MultiplexedConnection shared = pool.withRoom();
        if (shared != null) {
          reused = true;
          openStream(shared);
          return;
        }
        if (!pool.http1) {
          if (pool.negotiating != null) {
            pool.negotiating.waiters.add(this);
            return;
          }
          reused = false;
          pool.negotiating = new Connecting(origin, pool, this);
          pool.negotiating.start();
          return;
        }
      }
      reused = false;
      new Connecting(origin, pool, this).start();
    }

    /** The connection this exchange waited for speaks HTTP/2. */
    void onMultiplexed(MultiplexedConnection connection) {
      if (done) {
        return;
      }
      if (connection.hasRoom()) {
        reused = false;
        openStream(connection);
      } else {
        acquire(true);
      }
    }

    private void openStream(MultiplexedConnection connection) {
      multiplexed = true;
      connection.openStream().addListener((Future<Http2StreamChannel> opened) -> {
        if (!opened.isSuccess()) {
          onClosed(opened.cause());
          return;
        }
        Http2StreamChannel stream = opened.getNow();
        if (done) {
          stream.close();
          return;
        }
        send(stream);
      });
    }

    /** Sends the request on an HTTP/1.1 connection or an HTTP/2 stream channel. */
    private void send(Channel ch) {
      if (done) {
        if (multiplexed) {
          ch.close();
        } else {
          pool.offerIdle(ch);
        }
        return;
      }
      channel = ch;
      handler = (ExchangeHandler) ch.pipeline().get("exchange");
      handler.exchange = this;
      ch.config().setAutoRead(true);
      // The request's own headers go on the wire, not a copy (a copy was a third of the node's allocation under
      // load); sending again after a stale pooled connection sets the same values again.
      HttpHeaders headers = request.headers();
      headers.set(HttpHeaderNames.HOST, origin.hostHeader());
      headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
      if (multiplexed) {
        // HTTP/2 has no connection-specific headers (RFC 9113 §8.2.2): Host becomes :authority, and the stream
        // codec drops Connection, Keep-Alive, Transfer-Encoding, Upgrade and Proxy-Connection.
        headers.remove(HttpHeaderNames.CONNECTION);
      } else {
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      }
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
      if (msg instanceof HttpObject http && http.decoderResult().isFailure()) {
        // The codec could not read the response (an over-long header, a malformed chunk): nothing after it is usable.
        Throwable cause = http.decoderResult().cause();
        ReferenceCountUtil.release(msg);
        fail(UpstreamFailure.Kind.IO, NetworkErrors.connectionFailure(cause));
        return;
      }
      if (msg instanceof HttpResponse head) {
        if (head.status().code() < 200) {
          // 100 Continue, 103 Early Hints: the answer follows. Over HTTP/1.1 an empty last content ends this one.
          informational = !(msg instanceof LastHttpContent);
          ReferenceCountUtil.release(msg);
          return;
        }
        headReceived = true;
        keepAlive = HttpUtil.isKeepAlive(head);
        releaseBody();
        listener.onHead(head);
      } else if (informational) {
        informational = !(msg instanceof LastHttpContent);
        ReferenceCountUtil.release(msg);
        return;
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
      if (multiplexed) {
        // Both ends of the stream are over; its channel closes by itself and frees its slot.
      } else if (keepAlive && channel.isActive()) {
        channel.config().setAutoRead(true);
        pool.offerIdle(channel);
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
        // The provider closed a pooled connection as we used it; nothing was processed, so try a fresh one.
        retry();
        return;
      }
      String what = NetworkErrors.connectionFailure(cause);
      fail(UpstreamFailure.Kind.CLOSED, headReceived ? what + " in the middle of the response" : what
          + " before responding");
    }

    /** The stream ended without its last content: reset by the provider, or its connection went away. */
    void onStreamClosed(StreamHandler stream) {
      if (done) {
        return;
      }
      boolean neverProcessed = stream.unprocessed || stream.resetCode == Http2Error.REFUSED_STREAM.code();
      if (!headReceived && !staleRetryUsed && (neverProcessed || reused && stream.resetCode < 0)) {
        // Refused, above a GOAWAY's last stream, or a shared connection that died: send it again elsewhere.
        retry();
        return;
      }
      if (stream.resetCode < 0) {
        onClosed(null);
        return;
      }
      Http2Error error = Http2Error.valueOf(stream.resetCode);
      String what = "the provider reset the stream (" + (error == null ? "error " + stream.resetCode : error) + ")";
      fail(UpstreamFailure.Kind.CLOSED, headReceived ? what + " in the middle of the response" : what
          + " before responding");
    }

    private void retry() {
      staleRetryUsed = true;
      // The HTTP/2 stream codec marks the request's own headers with its scheme; HTTP/1.1 would send that on.
      request.headers().remove(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text());
      channel = null;
      handler = null;
      multiplexed = false;
      acquire(false);
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
      closeChannel();
    }

    /** Closes what this exchange holds: its HTTP/1.1 connection, or just its stream (RST_STREAM) over HTTP/2. */
    private void closeChannel() {
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
        // Over HTTP/2 a stream that does not read returns no window, so the provider pauses that stream only.
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
      closeChannel();
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

}
