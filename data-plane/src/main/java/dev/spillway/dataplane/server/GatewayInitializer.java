package dev.spillway.dataplane.server;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The client-side pipeline: HTTP codec with line and header limits, idle detection, the request reader (judges each
 * head, the virtual key included, before it reads a body up to the limit; answers {@code Expect: 100-continue}), and
 * the gateway.
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
        .addLast("codec", new HttpServerCodec(8192, maxHeaderBytes, 64 * 1024))
        // Reader-idle only: an all-idle handler puts a listener on every write (each streamed chunk), and a
        // connection is closed only when no request is in flight anyway (GatewayHandler).
        .addLast("idle", new IdleStateHandler(idleSeconds, 0, 0, TimeUnit.SECONDS))
        .addLast("reader", new RequestReader(endpoints, maxBodyBytes, endpoints.metrics()))
        .addLast("gateway", new GatewayHandler(endpoints));
  }
}
