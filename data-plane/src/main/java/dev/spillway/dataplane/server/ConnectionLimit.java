package dev.spillway.dataplane.server;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.metrics.NodeMetrics;
import dev.spillway.dataplane.protocol.ErrorShape;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's limit on open client connections, shared by every event loop: one atomic counter, incremented when a
 * connection is set up and decremented when it closes. A connection over the limit is answered at once with a
 * short {@code 503} and {@code Connection: close} (no request is read, so the answer is written as bytes) and
 * closed; the official SDKs retry a 503.
 */
final class ConnectionLimit {
  /** Counts connections but refuses none (in-process tests). */
  static final ConnectionLimit NONE = new ConnectionLimit(Integer.MAX_VALUE, NodeMetrics.NONE);

  private final int max;
  private final NodeMetrics metrics;
  private final AtomicInteger open = new AtomicInteger();
  private final ChannelFutureListener release;
  private final byte[] refusal;

  ConnectionLimit(int max, NodeMetrics metrics) {
    if (max < 1) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
    }
    this.max = max;
    this.metrics = metrics;
    this.release = closed -> {
      open.decrementAndGet();
      metrics.connectionClosed();
    };
    byte[] body = ErrorShape.OPENAI.body(GatewayError.NOT_READY, "this Spillway node is at its limit of " + max
        + " open connections; retry shortly", null);
    byte[] head = ("HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: "
        + body.length + "\r\nretry-after: 1\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    refusal = new byte[head.length + body.length];
    System.arraycopy(head, 0, refusal, 0, head.length);
    System.arraycopy(body, 0, refusal, head.length, body.length);
  }

  /**
   * Counts {@code ch} as open until it closes and returns true; or, when the node is at its limit, answers 503,
   * closes {@code ch} and returns false. Called once per connection, on its event loop, before its pipeline is set
   * up.
   */
  boolean admit(Channel ch) {
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      metrics.connectionRefused();
      ch.writeAndFlush(Unpooled.wrappedBuffer(refusal)).addListener(ChannelFutureListener.CLOSE);
      return false;
    }
    metrics.connectionOpened();
    ch.closeFuture().addListener(release);
    return true;
  }

  /** Connections open now. */
  int open() {
    return open.get();
  }
}
