package dev.spillway.dataplane.server;

import dev.spillway.dataplane.exchange.Responses;
import dev.spillway.dataplane.protocol.ErrorShape;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.metrics.Endpoint;
import dev.spillway.dataplane.metrics.NodeMetrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.concurrent.TimeUnit;

/** Aggregates request bodies up to the limit and answers anything larger with the contract's 413 body. */
final class BoundedAggregator extends HttpObjectAggregator {
  /** How long a refused upload may keep sending (discarded) before the connection is closed. */
  private static final long LINGER_SECONDS = 2;

  private final int maxBytes;
  private final NodeMetrics metrics;

  BoundedAggregator(int maxBytes) {
    this(maxBytes, NodeMetrics.NONE);
  }

  BoundedAggregator(int maxBytes, NodeMetrics metrics) {
    super(maxBytes);
    this.maxBytes = maxBytes;
    this.metrics = metrics;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    String message = "request body is larger than " + maxBytes + " bytes";
    if (oversized instanceof HttpRequest req) {
      String uri = req.uri();
      int query = uri.indexOf('?');
      metrics.rejected(Endpoint.of(query < 0 ? uri : uri.substring(0, query)), GatewayError.REQUEST_TOO_LARGE);
    }
    ErrorShape shape = oversized instanceof HttpRequest req ? ErrorShape.forPath(req.uri()) : ErrorShape.OPENAI;
    byte[] body = shape.body(GatewayError.REQUEST_TOO_LARGE, message, null);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        GatewayError.REQUEST_TOO_LARGE.status(), Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    String requestId = oversized.headers().get(Responses.REQUEST_ID);
    if (requestId != null && RequestIds.isAcceptable(requestId)) {
      response.headers().set(Responses.REQUEST_ID, requestId);
    }
    // The rest of the body may still be in flight. Closing at once with unread data resets the connection, and the
    // reset can destroy the 413 before the client reads it: stop sending instead (FIN), let the aggregator discard
    // what still arrives, and close when the client does or shortly after.
    ctx.writeAndFlush(response).addListener(f -> {
      Channel ch = ctx.channel();
      if (f.isSuccess() && ch instanceof DuplexChannel duplex) {
        duplex.shutdownOutput();
        ctx.executor().schedule(() -> ch.close(), LINGER_SECONDS, TimeUnit.SECONDS);
      } else {
        ch.close();
      }
    });
  }
}
