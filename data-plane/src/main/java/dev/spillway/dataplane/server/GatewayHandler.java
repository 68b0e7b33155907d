package dev.spillway.dataplane.server;

import dev.spillway.dataplane.exchange.RequestContext;
import dev.spillway.dataplane.exchange.Responses;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.metrics.Endpoint;
import dev.spillway.dataplane.metrics.RequestObserver;
import dev.spillway.dataplane.protocol.ErrorShape;
import dev.spillway.dataplane.exchange.Exchange;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection. Requests are answered in order; a pipelined request waits (bounded) until the one before it
 * has been answered. The connection keeps reading meanwhile, so a client that hangs up is noticed at once and its
 * upstream call cancelled.
 */
final class GatewayHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(GatewayHandler.class);
  private static final int MAX_PIPELINED = 16;

  private final Endpoints endpoints;
  private final ArrayDeque<InboundRequest> pending = new ArrayDeque<>();
  private RequestContext active;
  private Exchange exchange;

  GatewayHandler(Endpoints endpoints) {
    this.endpoints = endpoints;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof InboundRequest inbound)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (active != null) {
      if (pending.size() >= MAX_PIPELINED) {
        inbound.release();
        ctx.close();
        return;
      }
      pending.add(inbound);
      return;
    }
    process(ctx, inbound);
  }

  private void process(ChannelHandlerContext ctx, InboundRequest inbound) {
    long start = System.nanoTime();
    FullHttpRequest req = inbound.request();
    try {
      String path = RequestReader.path(req.uri());
      boolean failed = req.decoderResult().isFailure();
      RequestObserver observer = endpoints.metrics().requestStarted(Endpoint.of(path), start);
      RequestContext rc = new RequestContext(ctx, RequestIds.fromHeaderOrNew(req.headers().get(Responses.REQUEST_ID)),
          HttpUtil.isKeepAlive(req) && !failed && !inbound.bodyUnread(), ErrorShape.forPath(path), start,
          () -> onComplete(ctx), observer, inbound.bodyUnread() ? Connections.CLOSE_AFTER_LINGER : Connections.CLOSE);
      active = rc;
      if (failed) {
        rejectMalformed(rc, req.decoderResult().cause());
        return;
      }
      try {
        if (inbound.refusal() != null) {
          throw inbound.refusal();
        }
        exchange = endpoints.dispatch(rc, inbound, path);
      } catch (GatewayException e) {
        Responses.error(rc, e);
      } catch (RuntimeException e) {
        log.error("unexpected failure on {} {}", req.method(), path, e);
        if (!rc.isCompleted()) {
          Responses.error(rc, GatewayError.INTERNAL, "internal error; request id " + rc.requestId(), null, null);
        }
      }
    } finally {
      req.release();
    }
  }

  private static void rejectMalformed(RequestContext rc, Throwable cause) {
    if (cause instanceof TooLongHttpHeaderException) {
      Responses.error(rc, GatewayError.HEADERS_TOO_LARGE, "request headers are too large", null, null);
    } else if (cause instanceof TooLongHttpLineException || cause instanceof TooLongFrameException) {
      Responses.error(rc, GatewayError.INVALID_REQUEST, "request line is too long", null, null);
    } else {
      Responses.error(rc, GatewayError.INVALID_REQUEST, "malformed HTTP request", null, null);
    }
  }

  private void onComplete(ChannelHandlerContext ctx) {
    active = null;
    exchange = null;
    if (!pending.isEmpty() && ctx.channel().isActive()) {
      // Next pipelined request on a fresh stack frame.
      ctx.executor().execute(() -> {
        InboundRequest next = pending.poll();
        if (next != null) {
          process(ctx, next);
        }
      });
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (exchange != null) {
      exchange.clientWritabilityChanged();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (exchange != null) {
      exchange.clientClosed();
      exchange = null;
    }
    if (active != null && !active.isCompleted()) {
      active.observer().clientClosed();
    }
    active = null;
    InboundRequest queued;
    while ((queued = pending.poll()) != null) {
      queued.release();
    }
    ctx.fireChannelInactive();
  }

  /** An idle keep-alive connection is closed; one waiting for its upstream answer is not idle. */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (active == null) {
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Mostly connection resets by clients; nothing to tell them.
    log.debug("closing client connection: {}", cause.toString());
    ctx.close();
  }
}
