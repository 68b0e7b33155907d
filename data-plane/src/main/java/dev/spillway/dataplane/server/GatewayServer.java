package dev.spillway.dataplane.server;

import dev.spillway.dataplane.exchange.Admission;
import dev.spillway.dataplane.exchange.CacheLookup;
import dev.spillway.dataplane.exchange.ExchangePipeline;
import dev.spillway.dataplane.exchange.Settlement;
import dev.spillway.dataplane.tracing.Tracing;
import dev.spillway.dataplane.config.ConfigHolder;
import dev.spillway.dataplane.metrics.NodeMetrics;
import dev.spillway.dataplane.exchange.ProxyServices;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import java.net.InetSocketAddress;

/** The listening socket of a node. */
public final class GatewayServer implements AutoCloseable {
  /** A slow client may hold this much unsent data before upstream reading pauses. */
  private static final WriteBufferWaterMark CLIENT_WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

  private final Channel channel;

  private GatewayServer(Channel channel) {
    this.channel = channel;
  }

  public static GatewayServer bind(EventLoopGroup group, Class<? extends ServerChannel> channelType, String host,
      int port, ConfigHolder config, ProxyServices services, int maxBodyBytes, int maxHeaderBytes, long idleSeconds) {
    return bind(group, channelType, host, port, config, services, maxBodyBytes, maxHeaderBytes, idleSeconds,
        NodeMetrics.NONE);
  }

  /** Listens on {@code host:port}; {@code metrics} observes every request. */
  public static GatewayServer bind(EventLoopGroup group, Class<? extends ServerChannel> channelType, String host,
      int port, ConfigHolder config, ProxyServices services, int maxBodyBytes, int maxHeaderBytes, long idleSeconds,
      NodeMetrics metrics) {
    return bind(group, channelType, host, port, config, services, new ClientLimits(maxBodyBytes, maxHeaderBytes,
        idleSeconds, ClientLimits.DEFAULT_HEADER_TIMEOUT, ClientLimits.DEFAULT_MAX_CONNECTIONS), metrics);
  }

  /**
   * Listens on {@code host:port} with {@code limits} on every client connection; {@code metrics} observes every
   * connection and request ({@link AdminServer} serves them).
   */
  public static GatewayServer bind(EventLoopGroup group, Class<? extends ServerChannel> channelType, String host,
      int port, ConfigHolder config, ProxyServices services, ClientLimits limits, NodeMetrics metrics) {
    return bind(group, channelType, host, port, config, services, limits, metrics, Admission.ADMIT_ALL,
        Settlement.NONE);
  }

  /** As above, with the admit and settle stages governance provides. */
  public static GatewayServer bind(EventLoopGroup group, Class<? extends ServerChannel> channelType, String host,
      int port, ConfigHolder config, ProxyServices services, ClientLimits limits, NodeMetrics metrics,
      Admission admission, Settlement settlement) {
    return bind(group, channelType, host, port, config, services, limits, metrics, admission, CacheLookup.NONE,
        settlement);
  }

  /** As above, with the cache stage too. */
  public static GatewayServer bind(EventLoopGroup group, Class<? extends ServerChannel> channelType, String host,
      int port, ConfigHolder config, ProxyServices services, ClientLimits limits, NodeMetrics metrics,
      Admission admission, CacheLookup cache, Settlement settlement) {
    return bind(group, channelType, host, port, config, services, limits, metrics, admission, cache, settlement,
        Tracing.OFF);
  }

  /** As above, with the node's tracing. */
  public static GatewayServer bind(EventLoopGroup group, Class<? extends ServerChannel> channelType, String host,
      int port, ConfigHolder config, ProxyServices services, ClientLimits limits, NodeMetrics metrics,
      Admission admission, CacheLookup cache, Settlement settlement, Tracing tracing) {
    Endpoints endpoints = new Endpoints(config,
        new ExchangePipeline(config, services, admission, cache, settlement, tracing), metrics);
    ConnectionLimit connections = new ConnectionLimit(limits.maxConnections(), metrics);
    Channel channel = new ServerBootstrap()
        .group(group)
        .channel(channelType)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.SO_KEEPALIVE, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, CLIENT_WATER_MARK)
        .childHandler(new GatewayInitializer(endpoints, limits, connections))
        .bind(host, port)
        .syncUninterruptibly()
        .channel();
    return new GatewayServer(channel);
  }

  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
  }
}
