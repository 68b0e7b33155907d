package dev.spillway.dataplane.server;

import dev.spillway.dataplane.error.ErrorBodies;
import dev.spillway.dataplane.error.GatewayError;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;

/** Aggregates request bodies up to the limit and answers anything larger with the contract's 413 body. */
final class BoundedAggregator extends HttpObjectAggregator {
  private final int maxBytes;

  BoundedAggregator(int maxBytes) {
    super(maxBytes);
    this.maxBytes = maxBytes;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    String message = "request body is larger than " + maxBytes + " bytes";
    byte[] body = oversized instanceof HttpRequest req && req.uri().startsWith("/v1/messages")
        ? ErrorBodies.anthropic(GatewayError.REQUEST_TOO_LARGE, message)
        : ErrorBodies.openAi(GatewayError.REQUEST_TOO_LARGE, message, null);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        GatewayError.REQUEST_TOO_LARGE.status(), Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    String requestId = oversized.headers().get(Responses.REQUEST_ID);
    if (requestId != null && RequestIds.isAcceptable(requestId)) {
      response.headers().set(Responses.REQUEST_ID, requestId);
    }
    // The rest of the body may still be in flight; close rather than try to skip it.
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}
