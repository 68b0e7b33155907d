package dev.spillway.dataplane.server;

import dev.spillway.dataplane.metrics.NodeMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds the time a request head may take: from the first byte of the head (reported by {@link StrictHttpCodec})
 * until the codec has read all of it, and for a new connection also from its opening to its first byte. A client
 * that drips its headers, or connects and sends nothing, loses the connection when the deadline passes
 * ({@link FramingGuard#headTimedOut} answers 408 when it can). Time between requests on a keep-alive connection is
 * not bounded here but by the idle timeout, and time spent on a body not at all.
 *
 * <p>One timer per connection, re-armed only when it fires: a head that completes in time costs a field write,
 * not a schedule and a cancel.
 */
final class HeadDeadline extends ChannelInboundHandlerAdapter {
  private final long timeoutNanos;
  private final FramingGuard guard;
  private final NodeMetrics metrics;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> timer;
  /** A head is due: the connection is new, or the first byte of a head arrived and the head is not complete. */
  private boolean waiting;
  /** A byte of the current head arrived. */
  private boolean begun;
  /** When the current wait began, on the event loop's clock. */
  private long sinceNanos;

  HeadDeadline(long timeoutNanos, FramingGuard guard, NodeMetrics metrics) {
    if (timeoutNanos <= 0) {
      throw new IllegalArgumentException("timeoutNanos: " + timeoutNanos + " (expected: > 0)");
    }
    this.timeoutNanos = timeoutNanos;
    this.guard = guard;
    this.metrics = metrics;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (ctx.channel().isActive()) {
      startWaiting();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (!waiting && !begun) {
      startWaiting();
    }
    ctx.fireChannelActive();
  }

  /** The first byte of a request head arrived; the head has the whole deadline from now. */
  void headBegun() {
    begun = true;
    startWaiting();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest) {
      waiting = false;
      begun = false;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    waiting = false;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    ctx.fireChannelInactive();
  }

  private void startWaiting() {
    waiting = true;
    sinceNanos = now();
    if (timer == null) {
      timer = ctx.executor().schedule(this::onTimer, timeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void onTimer() {
    timer = null;
    if (!waiting || !ctx.channel().isActive()) {
      return;
    }
    long left = timeoutNanos - (now() - sinceNanos);
    if (left > 0) {
      timer = ctx.executor().schedule(this::onTimer, left, TimeUnit.NANOSECONDS);
      return;
    }
    waiting = false;
    metrics.headerTimedOut();
    guard.headTimedOut(begun);
  }

  /** The event loop's clock, which is the system's except where a test moves it. */
  private long now() {
    return ctx.executor() instanceof AbstractScheduledEventExecutor loop ? loop.ticker().nanoTime()
        : System.nanoTime();
  }
}
