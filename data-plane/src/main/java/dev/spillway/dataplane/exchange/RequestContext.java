package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.protocol.ErrorShape;
import dev.spillway.dataplane.metrics.RequestObserver;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;

/**
 * What every response of one client request needs: the channel, the request id echoed in {@code x-request-id},
 * whether the connection stays open (and how it closes when it does not), which error shape the client parses, and a
 * completion callback that lets the connection move on to its next request.
 */
public final class RequestContext {
  private final ChannelHandlerContext ctx;
  private final String requestId;
  private final boolean keepAlive;
  private final ErrorShape errorShape;
  private final long startNanos;
  private final Runnable onComplete;
  private final RequestObserver observer;
  private final ChannelFutureListener close;
  private boolean completed;
  /** Headers every response to this request carries (the rate-limit state admission found). */
  private java.util.Map<String, String> extraHeaders = java.util.Map.of();
  private int status = 200;
  private GatewayError error;

  /**
   * @param close how the connection closes after the response when it is not kept alive: at once, or (when the
   *              request's body was left unread) after telling the client and letting it stop sending
   */
  public RequestContext(ChannelHandlerContext ctx, String requestId, boolean keepAlive, ErrorShape errorShape,
      long startNanos, Runnable onComplete, RequestObserver observer, ChannelFutureListener close) {
    this.observer = observer;
    this.close = close;
    this.ctx = ctx;
    this.requestId = requestId;
    this.keepAlive = keepAlive;
    this.errorShape = errorShape;
    this.startNanos = startNanos;
    this.onComplete = onComplete;
  }

  public ChannelHandlerContext ctx() {
    return ctx;
  }

  public String requestId() {
    return requestId;
  }

  public boolean keepAlive() {
    return keepAlive;
  }

  /** Closes the connection once {@code written} (the response's last write) is done; for connections not kept alive. */
  void closeAfter(ChannelFuture written) {
    written.addListener(close);
  }

  public ErrorShape errorShape() {
    return errorShape;
  }

  /** Adds {@code headers} to every response this request gets from now on. */
  public void extraHeaders(java.util.Map<String, String> headers) {
    this.extraHeaders = headers;
  }

  /** Adds one header to those every response of the request carries. */
  public void extraHeader(String name, String value) {
    java.util.Map<String, String> headers = new java.util.LinkedHashMap<>(extraHeaders);
    headers.put(name, value);
    this.extraHeaders = headers;
  }

  public java.util.Map<String, String> extraHeaders() {
    return extraHeaders;
  }

  public long startNanos() {
    return startNanos;
  }

  /** Marks the response as fully written; the connection may read its next request. Idempotent. */
  public void complete() {
    if (!completed) {
      completed = true;
      observer.completed(status, error);
      onComplete.run();
    }
  }

  /** Who measures this request (metrics); never null. */
  public RequestObserver observer() {
    return observer;
  }

  /** The status of the response head being written (recorded for the observer). */
  void recordStatus(int status) {
    this.status = status;
  }

  /**
   * The error this request ends with: set by error responses, and by a stream that fails after its 200 head so that
   * the failure is counted although the status was already sent.
   */
  public void recordError(GatewayError error) {
    this.error = error;
  }

  public boolean isCompleted() {
    return completed;
  }
}
