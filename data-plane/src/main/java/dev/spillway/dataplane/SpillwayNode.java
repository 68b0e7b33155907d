package dev.spillway.dataplane;

import dev.spillway.config.ProviderAddressPolicy;
import dev.spillway.dataplane.cache.ResponseCache;
import dev.spillway.dataplane.config.ConfigHolder;
import dev.spillway.dataplane.config.NodeHeartbeat;
import dev.spillway.dataplane.config.NodeConfigCompiler;
import dev.spillway.dataplane.routing.RoutingHealth;
import dev.spillway.dataplane.config.SnapshotApplier;
import dev.spillway.dataplane.config.SnapshotPoller;
import dev.spillway.dataplane.config.SnapshotStore;
import dev.spillway.dataplane.governance.GovernanceAdmission;
import dev.spillway.dataplane.governance.LeaseClient;
import dev.spillway.dataplane.governance.UsageSettlement;
import dev.spillway.dataplane.usage.UsageJournal;
import dev.spillway.dataplane.usage.UsageShipper;
import dev.spillway.dataplane.metrics.PrometheusNodeMetrics;
import dev.spillway.dataplane.mock.MockUpstream;
import dev.spillway.dataplane.exchange.ProviderAdapters;
import dev.spillway.dataplane.exchange.ProxyServices;
import dev.spillway.dataplane.server.AdminServer;
import dev.spillway.dataplane.server.ClientLimits;
import dev.spillway.dataplane.server.GatewayServer;
import dev.spillway.dataplane.upstream.UpstreamClient;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.warmup.Warmup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running data-plane node: boots from its disk snapshot when there is one, listens, and follows the control plane.
 * Tests start nodes in-process through this class; {@link NodeMain} is the command-line entry.
 */
public final class SpillwayNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SpillwayNode.class);
  static final String SOFTWARE_VERSION = "0.1.0";

  private final NodeSettings settings;
  private final ConfigHolder config;
  private final EventLoopGroup group;
  private final UpstreamClient upstream;
  private final GatewayServer server;
  private final AdminServer admin;
  private final SnapshotPoller poller;
  private final NodeHeartbeat heartbeat;
  private final UsageJournal usageJournal;
  private final UsageSettlement usage;
  private final UsageShipper usageShipper;
  private final LeaseClient leases;
  private final RoutingHealth routingHealth;
  private final ResponseCache cache;
  private final dev.spillway.dataplane.tracing.Tracing tracing;

  private SpillwayNode(NodeSettings settings) {
    this.settings = settings;
    this.config = new ConfigHolder();
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> serverChannel = epoll ? EpollServerSocketChannel.class
        : NioServerSocketChannel.class;
    Class<? extends SocketChannel> socketChannel = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    Class<? extends DatagramChannel> datagramChannel = epoll ? EpollDatagramChannel.class : NioDatagramChannel.class;
    this.group = new MultiThreadIoEventLoopGroup(settings.eventLoops(), new DefaultThreadFactory("spillway-io"), io);

    this.routingHealth = new RoutingHealth();
    SnapshotApplier applier = new SnapshotApplier(config, new NodeConfigCompiler(settings.nodeToken(), routingHealth),
        new SnapshotStore(settings.stateDir()));
    applier.loadFromDisk();

    this.upstream = new UpstreamClient(socketChannel,
        new DnsAddressResolverGroup(new DnsNameResolverBuilder().datagramChannelType(datagramChannel)), 256,
        settings.upstreamCaFile(), settings.providerAddresses());
    UpstreamRequest.Timeouts timeouts = new UpstreamRequest.Timeouts(settings.connectTimeout().toMillis(),
        settings.firstByteTimeout().toMillis(), settings.idleTimeout().toMillis(), settings.totalTimeout().toMillis());
    ProxyServices services = new ProxyServices(ProviderAdapters.all(timeouts), upstream, new MockUpstream());
    ClientLimits limits = new ClientLimits(settings.maxBodyBytes(), settings.maxHeaderBytes(), settings.idleSeconds(),
        settings.headerTimeout(), settings.maxConnections());
    if (!settings.warmup().isZero()) {
      // The warm-up's provider is on loopback, which the node's own client may refuse
      // (SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS): it gets a client of the same class that allows it, closed after.
      try (UpstreamClient warmupUpstream = new UpstreamClient(socketChannel,
          new DnsAddressResolverGroup(new DnsNameResolverBuilder().datagramChannelType(datagramChannel)), 256,
          null, new ProviderAddressPolicy(true))) {
        ProxyServices warmupServices = new ProxyServices(services.adapters(), warmupUpstream, services.mock());
        Warmup.Result warm = Warmup.run(group, serverChannel, socketChannel, warmupServices, limits,
            settings.warmup());
        log.info("warmed up in {} ms: {} requests through the request path on loopback",
            warm.took().toMillis(), warm.requests());
      }
    }
    PrometheusNodeMetrics metrics = new PrometheusNodeMetrics(settings.metrics().maxTeams(),
        settings.metrics().maxRoutes());
    this.usageJournal = new UsageJournal(settings.stateDir(), settings.usageSpoolMaxBytes(), 10_000);
    this.usage = new UsageSettlement(usageJournal, settings.nodeId(), metrics, settings.requestLogBodyMaxBytes());
    this.usageShipper = new UsageShipper(usageJournal, settings.controlPlane(), settings.nodeToken(),
        settings.usageShipInterval());
    usageShipper.start();
    this.leases = new LeaseClient(settings.controlPlane(), settings.nodeToken(), settings.nodeId());
    leases.start();
    metrics.gauge("spillway_usage_spool_bytes", "Usage events waiting on disk for the control plane",
        usageJournal::spooledBytes);
    metrics.counter("spillway_usage_events_dropped", "Usage events dropped because the spool was full or the disk "
        + "refused them", usageJournal::dropped);
    metrics.counter("spillway_usage_events_shipped", "Usage events the control plane has stored",
        usageShipper::shippedEvents);
    metrics.routingHealth(routingHealth);
    metrics.counter("spillway_request_log_content_dropped", "Requests logged without the content their policy "
        + "keeps, because the content queue was full or the content could not be processed",
        usage::contentDropped);
    metrics.counter("spillway_shadow_refusals", "Requests a limit in shadow mode would have refused",
        usage::shadowRefusals);
    if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
      // The embedding model's tokenizer unpacks a native library on first use, by default under ~/.djl.ai: a node
      // whose home is read-only (containers) uses its state directory instead.
      System.setProperty("DJL_CACHE_DIR", settings.stateDir().resolve("djl").toString());
    }
    this.cache = new ResponseCache(settings.cache());
    metrics.counter("spillway_cache_hits_exact", "Requests answered from the exact cache", cache::exactHits);
    metrics.counter("spillway_cache_hits_semantic", "Requests answered from the semantic cache",
        cache::semanticHits);
    metrics.counter("spillway_cache_misses", "Cache lookups that found nothing to serve (shadow lookups included)",
        cache::misses);
    metrics.counter("spillway_cache_shadow_hits", "Semantic hits found in shadow mode, recorded and not served",
        cache::shadowHits);
    metrics.counter("spillway_cache_lookup_timeouts", "Cache lookups that ran out of their time budget",
        cache::lookupTimeouts);
    metrics.counter("spillway_cache_writes", "Answers stored in the cache", cache::writes);
    metrics.counter("spillway_cache_writes_dropped", "Answers not stored because the writer was behind",
        cache::writesDropped);
    metrics.counter("spillway_cache_db_failures", "Failed calls to the cache's database", cache::databaseFailures);
    metrics.gauge("spillway_cache_memory_entries", "Entries in the node's in-memory cache tier",
        cache::memoryEntries);
    this.tracing = settings.tracing().open(settings.nodeId(), SOFTWARE_VERSION,
        settings.requestLogBodyMaxBytes());
    this.server = GatewayServer.bind(group, serverChannel, settings.bindHost(), settings.port(), config, services,
        limits, metrics, new GovernanceAdmission(leases, settings.defaultOutputTokens()), cache,
        cache.storingAnswers(usage), tracing);
    this.admin = AdminServer.bind(group, serverChannel, settings.metrics().adminHost(), settings.metrics().adminPort(),
        config, metrics);

    String address = settings.bindHost() + ":" + server.port();
    SnapshotPoller.Identity identity = new SnapshotPoller.Identity(settings.nodeId(), address, SOFTWARE_VERSION,
        Instant.now());
    this.poller = new SnapshotPoller(settings.controlPlane(), settings.nodeToken(), identity, config, applier,
        settings.pollTimeout());
    poller.start();
    this.heartbeat = new NodeHeartbeat(settings.controlPlane(), settings.nodeToken(), identity, config,
        routingHealth);
    heartbeat.start(settings.heartbeatInterval());
    log.info("Spillway node {} listening on {} ({}, {} event loops), control plane {}; metrics on http://{}:{}/metrics",
        settings.nodeId(), address, epoll ? "epoll" : "nio", settings.eventLoops(), settings.controlPlane(),
        settings.metrics().adminHost(), admin.port());
    if (settings.upstreamCaFile() != null) {
      log.info("Provider TLS trusts the CA certificates of {} as well as the JDK's", settings.upstreamCaFile());
    }
  }

  public static SpillwayNode start(NodeSettings settings) {
    return new SpillwayNode(settings);
  }

  public int port() {
    return server.port();
  }

  /** The admin port ({@code /metrics}, {@code /healthz}, {@code /readyz}), bound like {@link #port()}. */
  public int adminPort() {
    return admin.port();
  }

  public ConfigHolder config() {
    return config;
  }

  /** What this node knows of its upstream targets (breakers, cooldowns, latencies). */
  public RoutingHealth routingHealth() {
    return routingHealth;
  }

  public NodeSettings settings() {
    return settings;
  }

  /** Idle pooled upstream connections, for tests. */
  public int idleUpstreamConnections() {
    return upstream.idleConnections();
  }

  /** Budget reservations and concurrency slots held for requests in flight, for tests. */
  public long governanceInFlightClaims() {
    return leases.inFlightClaims();
  }

  /** The response cache, for tests. */
  public ResponseCache cache() {
    return cache;
  }

  /** The usage spool, for tests. */
  public UsageJournal usageJournal() {
    return usageJournal;
  }

  /**
   * Stops taking requests, lets in-flight ones end, then seals the usage spool and sends it one last time; what the
   * control plane cannot take now stays on disk for the next start.
   */
  @Override
  public void close() {
    heartbeat.close();
    poller.close();
    server.close();
    admin.close();
    upstream.close();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    cache.close();
    usage.close();
    leases.close();
    usageJournal.close();
    usageShipper.close();
    // After the server: the spans of the last requests are in the queue, and are sent now.
    tracing.close();
  }
}
