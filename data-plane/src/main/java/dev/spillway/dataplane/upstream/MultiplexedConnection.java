package dev.spillway.dataplane.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

/**
 * One HTTP/2 connection to a provider, shared by many exchanges, each on a stream channel of its own
 * ({@link #openStream()}). Driven from its event loop only. It counts streams against the peer's concurrent-stream
 * limit and retires when the peer sends GOAWAY, when it closes, or after an idle period with no stream.
 *
 * <p>Flow control is the backpressure: a stream channel that stops reading stops returning window, so the provider
 * stops sending on that stream after {@link #STREAM_WINDOW} bytes. The connection window is large enough for every
 * stream to be paused at once, so one slow client never stalls the other streams of its connection.
 *
 * <p>The connection takes streams once the peer's SETTINGS have arrived: only then is its stream limit known.
 */
final class MultiplexedConnection {
  /** Receive window of each stream: the most a paused stream holds in memory. */
  static final int STREAM_WINDOW = 256 * 1024;
  /** Streams per connection at most, whatever the peer allows; more exchanges open another connection. */
  static final int MAX_STREAMS = 128;
  /** Every stream paused with a full window still leaves the connection window open. */
  static final int CONNECTION_WINDOW = STREAM_WINDOW * MAX_STREAMS;
  /** Response header block limit (HTTP/1.1 allows 16 KiB of headers; HTTP/2 counts 32 bytes more per field). */
  private static final long MAX_HEADER_LIST_BYTES = 64 * 1024;

  /** What the owner of a connection hears about it, on its event loop. */
  interface Events {
    /** The peer's SETTINGS arrived: streams may be opened. */
    void ready(MultiplexedConnection connection);

    /** The connection is closed; it must not be used any more. */
    void closed(MultiplexedConnection connection);
  }

  /** Streams the peer opens (it must not: push is disabled) are closed at once. */
  private static final ChannelHandler PEER_STREAMS = new PeerStreamRefusal();

  private final Channel channel;
  private final Http2FrameCodec codec;
  private final Http2StreamChannelBootstrap streams;
  private final Events events;
  private int open;
  private boolean ready;
  private boolean retired;

  private MultiplexedConnection(Channel channel, Http2FrameCodec codec, ChannelHandler streamInitializer,
      Events events) {
    this.channel = channel;
    this.codec = codec;
    this.streams = new Http2StreamChannelBootstrap(channel).handler(streamInitializer);
    this.events = events;
  }

  /**
   * Makes a TLS connection that negotiated {@code h2} an HTTP/2 connection: idle detection, the frame codec, the
   * stream multiplexer and this connection's own handler, appended to {@code pipeline}. Each stream channel is set
   * up by {@code streamInitializer} (a sharable handler).
   */
  static MultiplexedConnection install(ChannelPipeline pipeline, int idleSeconds, ChannelHandler streamInitializer,
      Events events) {
    Http2FrameCodec codec = Http2FrameCodecBuilder.forClient()
        .initialSettings(Http2Settings.defaultSettings()
            .pushEnabled(false)
            .initialWindowSize(STREAM_WINDOW)
            .maxHeaderListSize(MAX_HEADER_LIST_BYTES))
        // The connection is closed only when it has no stream left, or must go at once (fatal error, shutdown):
        // never wait the default 30 s for streams to end after our GOAWAY.
        .gracefulShutdownTimeoutMillis(0)
        .build();
    MultiplexedConnection connection = new MultiplexedConnection(pipeline.channel(), codec, streamInitializer,
        events);
    // Reader-idle over every frame (it sits before the codec); only a connection without streams closes for it.
    pipeline.addLast("pool-idle", new IdleStateHandler(idleSeconds, 0, 0));
    pipeline.addLast("h2", codec);
    // Push is disabled, so the peer opens no streams; the multiplexer wants a handler for them all the same, and
    // adds it to each such stream (a misbehaving peer's), so it must be sharable.
    pipeline.addLast("h2-streams", new Http2MultiplexHandler(PEER_STREAMS));
    pipeline.addLast("h2-connection", connection.new ConnectionHandler());
    return connection;
  }

  boolean isReady() {
    return ready;
  }

  /** True while a new stream may be opened on this connection. */
  boolean hasRoom() {
    if (!ready || retired || !channel.isActive()) {
      return false;
    }
    Http2Connection state = codec.connection();
    return !state.goAwayReceived() && !state.goAwaySent()
        && open < Math.min(MAX_STREAMS, state.local().maxActiveStreams());
  }

  /** Streams handed out and not closed yet. */
  int openStreams() {
    return open;
  }

  /** A new stream channel; it counts against the limit from now until it closes. */
  Future<Http2StreamChannel> openStream() {
    open++;
    Future<Http2StreamChannel> future = streams.open();
    future.addListener(f -> {
      if (f.isSuccess()) {
        ((Http2StreamChannel) f.getNow()).closeFuture().addListener(closed -> streamClosed());
      } else {
        streamClosed();
      }
    });
    return future;
  }

  /** Closes the connection at once; its streams end with it. */
  void close() {
    retired = true;
    channel.close();
  }

  /** No new streams; the connection closes when its last stream has. */
  private void retire() {
    retired = true;
    if (open == 0) {
      channel.close();
    }
  }

  private void streamClosed() {
    open--;
    if (open == 0 && retired) {
      channel.close();
    }
  }

  @ChannelHandler.Sharable
  private static final class PeerStreamRefusal extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }
  }

  /** Connection-level frames and events that reach the end of the pipeline (stream frames go to the streams). */
  private final class ConnectionHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      // The codec opened the connection window to twice a stream's; open it to every stream's, so that paused
      // streams (each holding at most its window) can never stall the others.
      Http2Connection state = codec.connection();
      int current = state.local().flowController().initialWindowSize(state.connectionStream());
      if (CONNECTION_WINDOW > current) {
        ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(CONNECTION_WINDOW - current));
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2SettingsFrame && !ready) {
          ready = true;
          events.ready(MultiplexedConnection.this);
        } else if (msg instanceof Http2GoAwayFrame) {
          // Streams above the peer's last stream id are closed by the codec (and told so); the others may finish.
          retire();
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent) {
        if (open == 0) {
          close();
        }
        return;
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // The codec has already answered protocol errors (RST_STREAM or GOAWAY); whatever arrives here is fatal.
      close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      retired = true;
      events.closed(MultiplexedConnection.this);
      ctx.fireChannelInactive();
    }
  }
}
