package dev.spillway.dataplane.server;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.metrics.Endpoint;
import dev.spillway.dataplane.metrics.NodeMetrics;
import dev.spillway.dataplane.protocol.ErrorShape;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.ContentLengthNotAllowedException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.InvalidLineSeparatorException;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.TransferEncodingNotAllowedException;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Answers the requests the codec refused, and makes sure nothing after them is read: a request whose framing is in
 * doubt ({@link StrictHttpCodec}) gets a 400 with {@code Connection: close}, and every byte after it is discarded
 * until the connection closes, so a request hidden in its body is never served. Also answers a head that took too
 * long ({@link HeadDeadline}).
 *
 * <p>Answers keep their order: when earlier requests on the connection are still being answered (pipelining), the
 * refusal waits until their responses are written. To know that, the guard counts requests passed on and final
 * responses written (a type check per write, no listener).
 */
final class FramingGuard extends ChannelDuplexHandler {
  /** How long a refused client may keep sending (discarded) before the connection is closed. */
  private static final long LINGER_SECONDS = 2;
  private static final AsciiString REQUEST_ID = AsciiString.cached("x-request-id");

  private final NodeMetrics metrics;
  private ChannelHandlerContext ctx;
  /** Requests passed on whose final response has not been written yet. */
  private int owed;
  /** The response being written is informational (100 Continue): its end is not a request's answer. */
  private boolean informational;
  /** Nothing more is read as a request. */
  private boolean closing;
  /** A refusal that waits for the responses owed before it. */
  private Refusal waiting;

  FramingGuard(NodeMetrics metrics) {
    this.metrics = metrics;
  }

  private record Refusal(GatewayError error, String message, ErrorShape shape, String requestId) {}

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest request && request.decoderResult().isFailure()) {
      try {
        refuse(ctx, request, request.decoderResult().cause());
      } finally {
        ReferenceCountUtil.release(msg);
      }
      return;
    }
    if (msg instanceof HttpRequest) {
      owed++;
    } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
      // A malformed chunk of a request already passed on: the gateway answers it (and closes); nothing after it
      // is read.
      closing = true;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse response) {
      informational = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
    }
    if (msg instanceof LastHttpContent && !informational && owed > 0) {
      owed--;
      if (owed == 0 && waiting != null) {
        ctx.write(msg, promise);
        Refusal refusal = waiting;
        waiting = null;
        send(ctx, refusal);
        return;
      }
    }
    ctx.write(msg, promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    waiting = null;
    ctx.fireChannelInactive();
  }

  /**
   * The head being read took too long. With a response still owed the connection just closes (an answer now
   * would land in the middle of it); otherwise a 408 is sent when the client had begun a request.
   */
  void headTimedOut(boolean headBegun) {
    if (closing) {
      return;
    }
    closing = true;
    if (owed > 0 || !headBegun) {
      ctx.close();
      return;
    }
    send(ctx, new Refusal(GatewayError.REQUEST_TIMEOUT, "the request headers did not arrive in time",
        ErrorShape.OPENAI, RequestIds.generate()));
  }

  private void refuse(ChannelHandlerContext ctx, HttpRequest request, Throwable cause) {
    closing = true;
    String uri = request.uri();
    int query = uri.indexOf('?');
    String path = query < 0 ? uri : uri.substring(0, query);
    GatewayError error = cause instanceof TooLongHttpHeaderException ? GatewayError.HEADERS_TOO_LARGE
        : GatewayError.INVALID_REQUEST;
    metrics.rejected(Endpoint.of(path), error);
    Refusal refusal = new Refusal(error, describe(cause), ErrorShape.forPath(path),
        RequestIds.fromHeaderOrNew(request.headers().get(REQUEST_ID)));
    if (owed == 0) {
      send(ctx, refusal);
    } else {
      waiting = refusal;
    }
  }

  /**
   * Writes the refusal and stops sending. Closing at once with unread data resets the connection, and the reset can
   * destroy the answer before the client reads it; so the output is shut (FIN), what still arrives is discarded, and
   * the connection closes when the client closes it or shortly after.
   */
  private static void send(ChannelHandlerContext ctx, Refusal refusal) {
    byte[] body = refusal.shape().body(refusal.error(), refusal.message(), null);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, refusal.error().status(),
        Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    response.headers().set(REQUEST_ID, refusal.requestId());
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

  /** Why the codec refused a request, in the client's terms (Netty's messages name its own internals). */
  static String describe(Throwable cause) {
    if (cause instanceof StrictHttpCodec.RefusedFraming) {
      return cause.getMessage();
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return "request headers are too large";
    }
    if (cause instanceof TooLongHttpLineException) {
      return "request line is too long";
    }
    if (cause instanceof ContentLengthNotAllowedException) {
      return "Content-Length and Transfer-Encoding together are ambiguous; send one of them";
    }
    if (cause instanceof TransferEncodingNotAllowedException) {
      return "Transfer-Encoding is not allowed in an HTTP/1.0 request";
    }
    if (cause instanceof InvalidLineSeparatorException) {
      return "every line of the request head must end with CRLF";
    }
    String m = cause == null || cause.getMessage() == null ? "" : cause.getMessage();
    if (m.startsWith("Multiple Content-Length")) {
      return "more than one Content-Length header";
    }
    if (m.startsWith("Content-Length value is not a number")) {
      return "Content-Length must be a number of bytes";
    }
    if (m.contains("header name") || m.startsWith("Validation failed for header") || m.contains("separator")) {
      return "malformed header line";
    }
    if (m.startsWith("chunked must be the last")) {
      return "Transfer-Encoding other than chunked alone is not supported";
    }
    return "malformed HTTP request";
  }
}
