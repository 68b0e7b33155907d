package dev.spillway.dataplane.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.Channel;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The client-side pipeline: the HTTP codec with strict framing and line and header limits, the guard that answers
 * refused framing and closes, idle detection, bounded body aggregation (which also answers
 * {@code Expect: 100-continue}), and the gateway.
 */
final class GatewayInitializer extends ChannelInitializer<Channel> {
  private final Endpoints endpoints;
  private final int maxBodyBytes;
  private final int maxHeaderBytes;
  private final long idleSeconds;

  GatewayInitializer(Endpoints endpoints, int maxBodyBytes, int maxHeaderBytes, long idleSeconds) {
    this.endpoints = endpoints;
    this.maxBodyBytes = maxBodyBytes;
    this.maxHeaderBytes = maxHeaderBytes;
    this.idleSeconds = idleSeconds;
  }

  @Override
  protected void initChannel(Channel ch) {
    ch.pipeline()
        .addLast("codec", new StrictHttpCodec(maxHeaderBytes))
        .addLast("framing", new FramingGuard(endpoints.metrics()))
        // Reader-idle only: an all-idle handler puts a listener on every write (each streamed chunk), and a
        // connection is closed only when no request is in flight anyway (GatewayHandler).
        .addLast("idle", new IdleStateHandler(idleSeconds, 0, 0, TimeUnit.SECONDS))
        .addLast("aggregator", new BoundedAggregator(maxBodyBytes, endpoints.metrics()))
        .addLast("gateway", new GatewayHandler(endpoints));
  }
}
