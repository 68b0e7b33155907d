package dev.spillway.dataplane;

import dev.spillway.config.ProviderAddressPolicy;
import dev.spillway.dataplane.metrics.MetricsSettings;
import dev.spillway.dataplane.server.ClientLimits;
import dev.spillway.dataplane.upstream.UpstreamTls;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * A node's settings from environment variables (CONTRACT.md §2) and command-line flags.
 *
 * @param port             listen port ({@code SPILLWAY_DP_PORT}, {@code --port})
 * @param bindHost         listen address ({@code SPILLWAY_DP_HOST})
 * @param controlPlane     where to poll for snapshots ({@code SPILLWAY_CP_URL})
 * @param nodeToken        credential for the control plane ({@code SPILLWAY_NODE_TOKEN})
 * @param stateDir         last good snapshot and spool ({@code SPILLWAY_NODE_STATE_DIR})
 * @param nodeId           name in the fleet view ({@code SPILLWAY_NODE_ID})
 * @param eventLoops       event-loop threads ({@code SPILLWAY_DP_THREADS}, default: cores)
 * @param maxBodyBytes     request body limit ({@code SPILLWAY_DP_MAX_BODY_BYTES})
 * @param maxHeaderBytes   request header limit ({@code SPILLWAY_DP_MAX_HEADER_BYTES})
 * @param idleSeconds      close client connections idle this long
 * @param pollTimeout      a snapshot poll's HTTP timeout (longer than the control plane's hold)
 * @param connectTimeout   default upstream connect timeout
 * @param firstByteTimeout default wait for a provider's first byte
 * @param idleTimeout      default longest gap between two chunks
 * @param totalTimeout     default limit for a whole upstream exchange
 * @param heartbeatInterval how often the node reports itself between polls ({@code SPILLWAY_NODE_HEARTBEAT_SECONDS})
 * @param upstreamCaFile   PEM bundle of CA certificates trusted for provider TLS in addition to the JDK's
 *                         ({@code SPILLWAY_UPSTREAM_CA_FILE}), or null; checked here, so a bad file fails start-up
 * @param headerTimeout    time a request head may take from its first byte, and a new connection until its first
 *                         byte ({@code SPILLWAY_DP_HEADER_TIMEOUT_SECONDS})
 * @param maxConnections   open client connections; more are answered 503 and closed
 *                         ({@code SPILLWAY_DP_MAX_CONNECTIONS})
 * @param warmup           how long the node runs its request path on loopback before it listens
 *                         ({@code SPILLWAY_DP_WARMUP_SECONDS}, default {@value #DEFAULT_WARMUP_SECONDS}; 0: none)
 * @param usageSpoolMaxBytes the usage spool's bound on disk ({@code SPILLWAY_DP_USAGE_SPOOL_MAX_MB}, default 1024);
 *                         past it usage events are dropped, counted and logged
 * @param usageShipInterval how often usage is sent to the control plane ({@code SPILLWAY_DP_USAGE_SHIP_MS}, 250)
 * @param defaultOutputTokens output tokens a request without {@code max_tokens} is assumed to use until its answer
 *                         says ({@code SPILLWAY_DP_DEFAULT_OUTPUT_TOKENS}, 1024): what budgets and token limits reserve
 * @param cache            the response cache's database and defaults ({@code SPILLWAY_DB_*}, {@code SPILLWAY_DP_CACHE_*})
 * @param tracing          OpenTelemetry traces, from the standard {@code OTEL_*} variables (off unless they ask)
 * @param providerAddresses which addresses upstream connections may reach: link-local and metadata never, loopback
 *                         and private only with {@code SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS=true} (default false)
 * @param metrics          the admin listener that serves {@code /metrics}, and the per-team counters' bounds
 *                         ({@code SPILLWAY_DP_ADMIN_*}, {@code SPILLWAY_DP_METRICS_*})
 * @param requestLogBodyMaxBytes what a request log keeps of each body under a policy that keeps content, before
 *                         compression ({@code SPILLWAY_DP_LOG_BODY_MAX_KB}, default 64; 1-1024)
 */
public record NodeSettings(
    int port,
    String bindHost,
    URI controlPlane,
    String nodeToken,
    Path stateDir,
    String nodeId,
    int eventLoops,
    int maxBodyBytes,
    int maxHeaderBytes,
    long idleSeconds,
    Duration pollTimeout,
    Duration connectTimeout,
    Duration firstByteTimeout,
    Duration idleTimeout,
    Duration totalTimeout,
    Duration heartbeatInterval,
    Path upstreamCaFile,
    Duration headerTimeout,
    int maxConnections,
    Duration warmup,
    long usageSpoolMaxBytes,
    Duration usageShipInterval,
    long defaultOutputTokens,
    dev.spillway.dataplane.cache.CacheSettings cache,
    dev.spillway.dataplane.tracing.TracingSettings tracing,
    ProviderAddressPolicy providerAddresses,
    MetricsSettings metrics,
    int requestLogBodyMaxBytes) {
  /** Long enough, on one core, for the JIT to compile the request path (docs/benchmarks.md, the tail by minute). */
  public static final int DEFAULT_WARMUP_SECONDS = 10;

  public NodeSettings {
    Objects.requireNonNull(controlPlane, "controlPlane");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(tracing, "tracing");
    Objects.requireNonNull(providerAddresses, "providerAddresses");
    Objects.requireNonNull(metrics, "metrics");
    if (nodeToken == null || nodeToken.length() < 16) {
      throw new IllegalArgumentException("SPILLWAY_NODE_TOKEN must be set (at least 16 characters)");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
    }
    if (heartbeatInterval == null || heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
      throw new IllegalArgumentException("heartbeatInterval: " + heartbeatInterval + " (expected: > 0)");
    }
    if (eventLoops < 1) {
      throw new IllegalArgumentException("eventLoops: " + eventLoops + " (expected: >= 1)");
    }
    if (headerTimeout == null || headerTimeout.isNegative() || headerTimeout.isZero()) {
      throw new IllegalArgumentException("SPILLWAY_DP_HEADER_TIMEOUT_SECONDS: " + headerTimeout
          + " (expected: > 0)");
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException("SPILLWAY_DP_MAX_CONNECTIONS: " + maxConnections + " (expected: >= 1)");
    }
    if (warmup == null || warmup.isNegative() || warmup.compareTo(Duration.ofMinutes(5)) > 0) {
      throw new IllegalArgumentException("SPILLWAY_DP_WARMUP_SECONDS: " + (warmup == null ? null : warmup.toSeconds())
          + " (expected: 0-300)");
    }
    if (usageSpoolMaxBytes < 1024 * 1024) {
      throw new IllegalArgumentException("SPILLWAY_DP_USAGE_SPOOL_MAX_MB: " + usageSpoolMaxBytes / (1024 * 1024)
          + " (expected: >= 1)");
    }
    if (usageShipInterval == null || usageShipInterval.toMillis() < 10 || usageShipInterval.toSeconds() > 60) {
      throw new IllegalArgumentException("SPILLWAY_DP_USAGE_SHIP_MS: "
          + (usageShipInterval == null ? null : usageShipInterval.toMillis()) + " (expected: 10-60000)");
    }
    if (requestLogBodyMaxBytes < 1024 || requestLogBodyMaxBytes > 1024 * 1024) {
      throw new IllegalArgumentException("SPILLWAY_DP_LOG_BODY_MAX_KB: " + requestLogBodyMaxBytes / 1024
          + " (expected: 1-1024)");
    }
    if (defaultOutputTokens < 1) {
      throw new IllegalArgumentException("SPILLWAY_DP_DEFAULT_OUTPUT_TOKENS: " + defaultOutputTokens
          + " (expected: >= 1)");
    }
    if (upstreamCaFile != null) {
      try {
        UpstreamTls.readCertificates(upstreamCaFile);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("SPILLWAY_UPSTREAM_CA_FILE: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public String toString() {
    return "NodeSettings[port=" + port + ", bindHost=" + bindHost + ", controlPlane=" + controlPlane
        + ", nodeToken=<secret>, stateDir=" + stateDir + ", nodeId=" + nodeId + ", eventLoops=" + eventLoops
        + ", upstreamCaFile=" + upstreamCaFile + ", headerTimeout=" + headerTimeout + ", maxConnections="
        + maxConnections + ", warmup=" + warmup + ", usageSpoolMaxBytes=" + usageSpoolMaxBytes
        + ", usageShipInterval=" + usageShipInterval + ", cache=" + cache + ", tracing=" + tracing
        + ", providerAddresses=" + providerAddresses + ", metrics=" + metrics + ", requestLogBodyMaxBytes="
        + requestLogBodyMaxBytes + "]";
  }

  /** Settings from the environment, with {@code --port N} and {@code --state-dir D} taking precedence. */
  public static NodeSettings from(Map<String, String> env, String[] args) {
    int port = Integer.parseInt(env.getOrDefault("SPILLWAY_DP_PORT", "8000"));
    String stateDir = env.get("SPILLWAY_NODE_STATE_DIR");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(requireValue(args, ++i, "--port"));
        case "--state-dir" -> stateDir = requireValue(args, ++i, "--state-dir");
        default -> throw new IllegalArgumentException("unknown argument: " + args[i]
            + " (expected: --port N, --state-dir DIR)");
      }
    }
    if (stateDir == null) {
      stateDir = ".spillway/node-" + port;
    }
    String nodeId = env.getOrDefault("SPILLWAY_NODE_ID", hostname() + ":" + port);
    return new NodeSettings(
        port,
        env.getOrDefault("SPILLWAY_DP_HOST", "0.0.0.0"),
        URI.create(env.getOrDefault("SPILLWAY_CP_URL", "http://127.0.0.1:8080")),
        env.get("SPILLWAY_NODE_TOKEN"),
        Path.of(stateDir),
        nodeId,
        Integer.parseInt(env.getOrDefault("SPILLWAY_DP_THREADS",
            Integer.toString(Runtime.getRuntime().availableProcessors()))),
        Integer.parseInt(env.getOrDefault("SPILLWAY_DP_MAX_BODY_BYTES", Integer.toString(32 * 1024 * 1024))),
        Integer.parseInt(env.getOrDefault("SPILLWAY_DP_MAX_HEADER_BYTES", Integer.toString(32 * 1024))),
        Long.parseLong(env.getOrDefault("SPILLWAY_DP_IDLE_SECONDS", "300")),
        Duration.ofSeconds(60),
        Duration.ofMillis(Long.parseLong(env.getOrDefault("SPILLWAY_UPSTREAM_CONNECT_MS", "5000"))),
        Duration.ofMillis(Long.parseLong(env.getOrDefault("SPILLWAY_UPSTREAM_FIRST_BYTE_MS", "300000"))),
        Duration.ofMillis(Long.parseLong(env.getOrDefault("SPILLWAY_UPSTREAM_IDLE_MS", "120000"))),
        Duration.ofMillis(Long.parseLong(env.getOrDefault("SPILLWAY_UPSTREAM_TOTAL_MS", "600000"))),
        Duration.ofSeconds(Long.parseLong(env.getOrDefault("SPILLWAY_NODE_HEARTBEAT_SECONDS", "10"))),
        optionalPath(env.get("SPILLWAY_UPSTREAM_CA_FILE")),
        Duration.ofSeconds(Long.parseLong(env.getOrDefault("SPILLWAY_DP_HEADER_TIMEOUT_SECONDS",
            Long.toString(ClientLimits.DEFAULT_HEADER_TIMEOUT.toSeconds())))),
        Integer.parseInt(env.getOrDefault("SPILLWAY_DP_MAX_CONNECTIONS",
            Integer.toString(ClientLimits.DEFAULT_MAX_CONNECTIONS))),
        Duration.ofSeconds(Long.parseLong(env.getOrDefault("SPILLWAY_DP_WARMUP_SECONDS",
            Integer.toString(DEFAULT_WARMUP_SECONDS)))),
        Long.parseLong(env.getOrDefault("SPILLWAY_DP_USAGE_SPOOL_MAX_MB", "1024")) * 1024 * 1024,
        Duration.ofMillis(Long.parseLong(env.getOrDefault("SPILLWAY_DP_USAGE_SHIP_MS", "250"))),
        Long.parseLong(env.getOrDefault("SPILLWAY_DP_DEFAULT_OUTPUT_TOKENS", "1024")),
        dev.spillway.dataplane.cache.CacheSettings.from(env),
        dev.spillway.dataplane.tracing.TracingSettings.from(env), ProviderAddressPolicy.fromEnv(env),
        MetricsSettings.from(env, port),
        Integer.parseInt(env.getOrDefault("SPILLWAY_DP_LOG_BODY_MAX_KB", "64")) * 1024);
  }

  /** Unset and empty both mean none (compose and Helm pass empty values for unset options). */
  private static Path optionalPath(String value) {
    return value == null || value.isBlank() ? null : Path.of(value.strip());
  }

  private static String requireValue(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return args[i];
  }

  private static String hostname() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "node";
    }
  }
}
