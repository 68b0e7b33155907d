package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.protocol.ErrorShape;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;

/** Writes complete responses with the headers every response carries. */
public final class Responses {
  public static final AsciiString REQUEST_ID = AsciiString.cached("x-request-id");
  public static final AsciiString ANTHROPIC_REQUEST_ID = AsciiString.cached("request-id");
  private static final AsciiString JSON = AsciiString.cached("application/json");

  private Responses() {}

  public static void json(RequestContext rc, HttpResponseStatus status, byte[] body, HttpHeaders extra) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        Unpooled.wrappedBuffer(body));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, JSON);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    if (extra != null) {
      response.headers().add(extra);
    }
    write(rc, response);
  }

  public static void error(RequestContext rc, GatewayException e) {
    HttpHeaders extra = null;
    if (!e.headers().isEmpty()) {
      extra = new DefaultHttpHeaders();
      e.headers().forEach(extra::set);
    }
    error(rc, e.error(), e.getMessage(), e.param(), extra);
  }

  public static void error(RequestContext rc, GatewayError error, String message, String param, HttpHeaders extra) {
    rc.recordError(error);
    byte[] body = rc.errorShape().body(error, message, param);
    json(rc, error.status(), body, extra);
  }

  /** Adds the request id (and closes the connection after writing when it is not kept alive). */
  public static ChannelFuture write(RequestContext rc, FullHttpResponse response) {
    decorate(rc, response);
    ChannelFuture future = rc.ctx().writeAndFlush(response);
    if (!rc.keepAlive()) {
      rc.closeAfter(future);
    }
    rc.complete();
    return future;
  }

  /** Ends a chunked (streamed) response and frees the connection for its next request. */
  public static void endStream(RequestContext rc) {
    ChannelFuture future = rc.ctx().writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    if (!rc.keepAlive()) {
      rc.closeAfter(future);
    }
    rc.complete();
  }

  /** Headers every response of the request carries, streams included. */
  public static void decorate(RequestContext rc, HttpResponse response) {
    rc.recordStatus(response.status().code());
    response.headers().set(REQUEST_ID, rc.requestId());
    if (!rc.extraHeaders().isEmpty()) {
      rc.extraHeaders().forEach(response.headers()::set);
    }
    if (rc.errorShape() == ErrorShape.ANTHROPIC) {
      response.headers().set(ANTHROPIC_REQUEST_ID, rc.requestId());
    }
    if (!rc.keepAlive()) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
  }
}
