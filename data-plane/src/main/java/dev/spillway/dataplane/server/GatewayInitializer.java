package dev.spillway.dataplane.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.Channel;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The client-side pipeline: the connection limit, the HTTP codec with strict framing and line and header limits, a
 * deadline for each request head, the guard that answers refused framing and closes, idle detection, the request
 * reader (judges each head, the virtual key included, before it reads a body up to the limit; answers
 * {@code Expect: 100-continue}), and the gateway.
 */
final class GatewayInitializer extends ChannelInitializer<Channel> {
  private final Endpoints endpoints;
  private final ClientLimits limits;
  private final ConnectionLimit connections;

  GatewayInitializer(Endpoints endpoints, int maxBodyBytes, int maxHeaderBytes, long idleSeconds) {
    this(endpoints, new ClientLimits(maxBodyBytes, maxHeaderBytes, idleSeconds, ClientLimits.DEFAULT_HEADER_TIMEOUT,
        ClientLimits.DEFAULT_MAX_CONNECTIONS), ConnectionLimit.NONE);
  }

  GatewayInitializer(Endpoints endpoints, ClientLimits limits, ConnectionLimit connections) {
    this.endpoints = endpoints;
    this.limits = limits;
    this.connections = connections;
  }

  @Override
  protected void initChannel(Channel ch) {
    if (!connections.admit(ch)) {
      return;
    }
    FramingGuard framing = new FramingGuard(endpoints.metrics());
    HeadDeadline deadline = new HeadDeadline(limits.headerTimeout().toNanos(), framing, endpoints.metrics());
    ch.pipeline()
        .addLast("codec", new StrictHttpCodec(limits.maxHeaderBytes(), deadline::headBegun))
        .addLast("head-deadline", deadline)
        .addLast("framing", framing)
        // Reader-idle only: an all-idle handler puts a listener on every write (each streamed chunk), and a
        // connection is closed only when no request is in flight anyway (GatewayHandler).
        .addLast("idle", new IdleStateHandler(limits.idleSeconds(), 0, 0, TimeUnit.SECONDS))
        .addLast("reader", new RequestReader(endpoints, limits.maxBodyBytes(), endpoints.metrics()))
        .addLast("gateway", new GatewayHandler(endpoints));
  }
}
