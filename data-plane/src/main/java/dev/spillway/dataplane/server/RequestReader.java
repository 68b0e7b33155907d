package dev.spillway.dataplane.server;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.exchange.Caller;
import dev.spillway.dataplane.exchange.Responses;
import dev.spillway.dataplane.metrics.Endpoint;
import dev.spillway.dataplane.metrics.NodeMetrics;
import dev.spillway.dataplane.protocol.ErrorShape;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Reads requests off the HTTP codec, one at a time, and hands each to {@link GatewayHandler} complete. The head is
 * judged before any body byte is kept: a body over the limit (by its {@code Content-Length}), an unknown URL or
 * method, a node without config, a missing or invalid virtual key — each is answered without reading the body, so
 * a client without a valid key cannot make the node buffer anything. Only then does the body aggregate, up to the
 * limit (and a client that sent {@code Expect: 100-continue} is told to go on).
 *
 * <p>A request refused from its head reaches the handler with an empty body and its refusal, so that it is answered
 * in order and measured like any other. When the client may still be sending that body, nothing more is read from
 * the connection: it closes after the answer.
 */
final class RequestReader extends ChannelInboundHandlerAdapter {
  private static final FullHttpResponse CONTINUE = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
      HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER);

  private final Endpoints endpoints;
  private final int maxBodyBytes;
  private final NodeMetrics metrics;

  /** The head of the request whose body is being read, and who sent it. */
  private HttpRequest head;
  private Caller caller;
  private CompositeByteBuf body;
  /** The rest of the current request is dropped (it was refused, and its answer does not depend on it). */
  private boolean discarding;
  /** The connection is closing: everything that still arrives is dropped. */
  private boolean closing;

  RequestReader(Endpoints endpoints, int maxBodyBytes, NodeMetrics metrics) {
    this.endpoints = endpoints;
    this.maxBodyBytes = maxBodyBytes;
    this.metrics = metrics;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest request) {
      onHead(ctx, request);
    } else if (msg instanceof HttpContent content) {
      onContent(ctx, content);
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  private void onHead(ChannelHandlerContext ctx, HttpRequest request) {
    releaseBody();
    discarding = false;
    if (request.decoderResult().isFailure()) {
      // The codec gave up on this connection's bytes: the handler answers 400 and closes.
      closing = true;
      ctx.fireChannelRead(new InboundRequest(complete(request, Unpooled.EMPTY_BUFFER), null, null, false));
      ReferenceCountUtil.release(request);
      return;
    }
    String path = path(request.uri());
    if (HttpUtil.getContentLength(request, -1L) > maxBodyBytes) {
      tooLarge(ctx, request, path);
      ReferenceCountUtil.release(request);
      return;
    }
    boolean hasBody = !(request instanceof LastHttpContent)
        && (HttpUtil.getContentLength(request, 0L) > 0 || HttpUtil.isTransferEncodingChunked(request));
    String expect = request.headers().get(HttpHeaderNames.EXPECT);
    if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.strip())) {
      refuse(ctx, request, GatewayError.EXPECTATION_FAILED.exception("Expect: only 100-continue is supported"),
          hasBody);
      return;
    }
    Caller who;
    try {
      who = endpoints.authenticateHead(request, path);
    } catch (GatewayException refusal) {
      refuse(ctx, request, refusal, hasBody);
      return;
    }
    if (HttpUtil.is100ContinueExpected(request)) {
      request.headers().remove(HttpHeaderNames.EXPECT);
      ctx.writeAndFlush(CONTINUE.retainedDuplicate());
    }
    if (request instanceof FullHttpRequest full) {
      ctx.fireChannelRead(new InboundRequest(full, who, null, false));
      return;
    }
    head = request;
    caller = who;
    body = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
  }

  private void onContent(ChannelHandlerContext ctx, HttpContent content) {
    if (discarding || head == null) {
      if (content instanceof LastHttpContent) {
        discarding = false;
      }
      content.release();
      return;
    }
    if (content.decoderResult().isFailure()) {
      closing = true;
      FullHttpRequest failed = complete(head, Unpooled.EMPTY_BUFFER);
      failed.setDecoderResult(DecoderResult.failure(content.decoderResult().cause()));
      content.release();
      releaseBody();
      ctx.fireChannelRead(new InboundRequest(failed, null, null, false));
      return;
    }
    ByteBuf piece = content.content();
    if (body.readableBytes() + piece.readableBytes() > maxBodyBytes) {
      content.release();
      HttpRequest tooLarge = head;
      releaseBody();
      tooLarge(ctx, tooLarge, path(tooLarge.uri()));
      return;
    }
    body.addComponent(true, piece.retain());
    boolean last = content instanceof LastHttpContent;
    content.release();
    if (last) {
      FullHttpRequest full = complete(head, body);
      HttpUtil.setContentLength(full, body.readableBytes());
      full.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
      Caller who = caller;
      head = null;
      caller = null;
      body = null;
      ctx.fireChannelRead(new InboundRequest(full, who, null, false));
    }
  }

  /** Passes the refusal on to be answered in order; the body, if any, is never kept. */
  private void refuse(ChannelHandlerContext ctx, HttpRequest request, GatewayException refusal, boolean hasBody) {
    FullHttpRequest empty = complete(request, Unpooled.EMPTY_BUFFER);
    ReferenceCountUtil.release(request);
    if (hasBody) {
      closing = true;
    } else if (!(request instanceof LastHttpContent)) {
      discarding = true;
    }
    ctx.fireChannelRead(new InboundRequest(empty, null, refusal, hasBody));
  }

  /** A body over the limit: answered here, at once, with the contract's 413; the connection closes. */
  private void tooLarge(ChannelHandlerContext ctx, HttpRequest request, String path) {
    closing = true;
    metrics.rejected(Endpoint.of(path), GatewayError.REQUEST_TOO_LARGE);
    byte[] message = ErrorShape.forPath(path).body(GatewayError.REQUEST_TOO_LARGE,
        "request body is larger than " + maxBodyBytes + " bytes", null);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        GatewayError.REQUEST_TOO_LARGE.status(), Unpooled.wrappedBuffer(message));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, message.length);
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    String requestId = request.headers().get(Responses.REQUEST_ID);
    if (requestId != null && RequestIds.isAcceptable(requestId)) {
      response.headers().set(Responses.REQUEST_ID, requestId);
    }
    ctx.writeAndFlush(response).addListener(Connections.CLOSE_AFTER_LINGER);
  }

  private static FullHttpRequest complete(HttpRequest head, ByteBuf content) {
    FullHttpRequest full = new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(), content,
        head.headers(), EmptyHttpHeaders.INSTANCE);
    full.setDecoderResult(head.decoderResult());
    return full;
  }

  static String path(String uri) {
    int query = uri.indexOf('?');
    return query < 0 ? uri : uri.substring(0, query);
  }

  private void releaseBody() {
    if (body != null) {
      body.release();
      body = null;
    }
    head = null;
    caller = null;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseBody();
    ctx.fireChannelInactive();
  }
}
