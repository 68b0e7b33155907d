package dev.spillway.dataplane.server;

import io.netty.channel.ChannelHandlerContext;

/**
 * What every response of one client request needs: the channel, the request id echoed in {@code x-request-id},
 * whether the connection stays open, which error shape the client parses, and a completion callback that lets the
 * connection move on to its next request.
 */
public final class RequestContext {
  /** The error body shape the client's SDK expects. */
  public enum ErrorFormat { OPENAI, ANTHROPIC }

  private final ChannelHandlerContext ctx;
  private final String requestId;
  private final boolean keepAlive;
  private final ErrorFormat errorFormat;
  private final long startNanos;
  private final Runnable onComplete;
  private boolean completed;

  RequestContext(ChannelHandlerContext ctx, String requestId, boolean keepAlive, ErrorFormat errorFormat,
      long startNanos, Runnable onComplete) {
    this.ctx = ctx;
    this.requestId = requestId;
    this.keepAlive = keepAlive;
    this.errorFormat = errorFormat;
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

  public ErrorFormat errorFormat() {
    return errorFormat;
  }

  public long startNanos() {
    return startNanos;
  }

  /** Marks the response as fully written; the connection may read its next request. Idempotent. */
  public void complete() {
    if (!completed) {
      completed = true;
      onComplete.run();
    }
  }

  public boolean isCompleted() {
    return completed;
  }
}
