package dev.spillway.dataplane.warmup;

import dev.spillway.config.BreakerConfig;
import dev.spillway.config.OrganizationConfig;
import dev.spillway.config.ProviderConfig;
import dev.spillway.config.ProviderKeyConfig;
import dev.spillway.config.ProviderType;
import dev.spillway.config.RetryConfig;
import dev.spillway.config.RouteConfig;
import dev.spillway.config.RouteTargetConfig;
import dev.spillway.config.SealedSecret;
import dev.spillway.config.Sha256;
import dev.spillway.config.SnapshotConfig;
import dev.spillway.config.TeamConfig;
import dev.spillway.config.VirtualKeyConfig;
import dev.spillway.dataplane.config.ConfigHolder;
import dev.spillway.dataplane.config.NodeConfigCompiler;
import dev.spillway.dataplane.exchange.ProxyServices;
import dev.spillway.dataplane.metrics.PrometheusNodeMetrics;
import dev.spillway.dataplane.server.ClientLimits;
import dev.spillway.dataplane.server.GatewayServer;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a fresh node's request path hot before the node takes traffic. A JVM starts by interpreting, then compiles
 * what runs often; on the one core a node is often given, those compilations take the core from the event loop for
 * tens to hundreds of milliseconds at a time in the first minute, and every request that arrives meanwhile waits.
 * Warming up moves that work before the node listens: for a few seconds, requests of every common kind (OpenAI chat,
 * streamed and not; Anthropic messages, translated, streamed and not; the Responses API; embeddings) go through the
 * node's real pipeline — its HTTP server code, the exchange, the adapters and the pooled upstream client — to a
 * provider on loopback ({@link WarmupProvider}), on the node's own event loops.
 *
 * <p>The warm-up runs on a server of its own, with a config of its own (a random key that exists nowhere else) and
 * metrics of its own, all closed before the node binds its port: nothing of it is reachable from outside, and the
 * node's metrics count none of it.
 */
public final class Warmup {
  private static final Logger log = LoggerFactory.getLogger(Warmup.class);
  private static final int CONNECTIONS = 8;
  private static final String MODEL = "warmup";
  private static final String FAILOVER = "warmup-failover";

  /** One request of the mix: a path and a body. */
  private record Call(String path, String body) {}

  private static final List<Call> MIX = mix();

  private Warmup() {}

  /** What a warm-up did. */
  public record Result(long requests, long failed, Duration took) {}

  /**
   * Sends the mix through a private server of the node for {@code duration} and waits for it (at most a few seconds
   * more). Returns what it did; never throws for a failed request (the node starts anyway).
   */
  public static Result run(EventLoopGroup group, Class<? extends ServerChannel> serverChannel,
      Class<? extends SocketChannel> socketChannel, ProxyServices services, ClientLimits limits, Duration duration) {
    long start = System.nanoTime();
    AtomicLong requests = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    try (WarmupProvider provider = WarmupProvider.start(group, serverChannel);
        java.net.Socket refusing = refusingPort()) {
      String key = "sk-sw-warmup" + HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
      ConfigHolder config = new ConfigHolder();
      String nodeToken = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
      config.swap(new NodeConfigCompiler(nodeToken).compile(snapshot(key, provider.baseUrl(),
          "http://127.0.0.1:" + refusing.getLocalPort() + "/v1", nodeToken), "warmup"));
      GatewayServer server = GatewayServer.bind(group, serverChannel, "127.0.0.1", 0, config, services, limits,
          new PrometheusNodeMetrics());
      try {
        drive(group, socketChannel, server.port(), key, System.nanoTime() + duration.toNanos(), requests, failed,
            duration.plusSeconds(5));
      } finally {
        server.close();
      }
    } catch (RuntimeException | java.io.IOException e) {
      log.warn("warm-up stopped early: {}", e.toString());
    }
    Result result = new Result(requests.get(), failed.get(), Duration.ofNanos(System.nanoTime() - start));
    if (result.failed() > 0) {
      log.warn("warm-up: {} of {} requests failed", result.failed(), result.requests());
    }
    return result;
  }

  /** {@value #CONNECTIONS} keep-alive connections, each sending the next request of the mix when one is answered. */
  private static void drive(EventLoopGroup group, Class<? extends SocketChannel> socketChannel, int port, String key,
      long deadline, AtomicLong requests, AtomicLong failed, Duration wait) {
    CountDownLatch done = new CountDownLatch(CONNECTIONS);
    List<Channel> channels = new ArrayList<>();
    for (int i = 0; i < CONNECTIONS; i++) {
      int first = i;
      Bootstrap bootstrap = new Bootstrap().group(group).channel(socketChannel)
          .handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                  new Client(key, first, deadline, requests, failed, done));
            }
          });
      channels.add(bootstrap.connect("127.0.0.1", port).syncUninterruptibly().channel());
    }
    try {
      if (!done.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("warm-up: not every connection finished in time");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      channels.forEach(ch -> ch.close().syncUninterruptibly());
    }
  }

  /** One warm-up connection: sends, waits for the answer, sends the next call, until the deadline. */
  private static final class Client extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final String key;
    private final long deadline;
    private final AtomicLong requests;
    private final AtomicLong failed;
    private final CountDownLatch done;
    private int next;
    private boolean finished;

    Client(String key, int first, long deadline, AtomicLong requests, AtomicLong failed, CountDownLatch done) {
      this.key = key;
      this.next = first;
      this.deadline = deadline;
      this.requests = requests;
      this.failed = failed;
      this.done = done;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      send(ctx);
      ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      requests.incrementAndGet();
      if (response.status().code() != 200) {
        failed.incrementAndGet();
      }
      if (System.nanoTime() - deadline >= 0) {
        finish();
        return;
      }
      send(ctx);
    }

    private void send(ChannelHandlerContext ctx) {
      Call call = MIX.get(next++ % MIX.size());
      byte[] body = call.body().getBytes(StandardCharsets.UTF_8);
      FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, call.path(),
          Unpooled.wrappedBuffer(body));
      request.headers().set(HttpHeaderNames.HOST, "127.0.0.1");
      request.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + key);
      request.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
      request.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
      ctx.writeAndFlush(request).addListener(f -> {
        if (!f.isSuccess()) {
          failed.incrementAndGet();
          finish();
        }
      });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      finish();
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      failed.incrementAndGet();
      finish();
      ctx.close();
    }

    private void finish() {
      if (!finished) {
        finished = true;
        done.countDown();
      }
    }
  }

  /**
   * A loopback port that refuses connections: bound by a socket that never listens, so nothing else can take it while
   * the warm-up runs.
   */
  private static java.net.Socket refusingPort() throws java.io.IOException {
    java.net.Socket socket = new java.net.Socket();
    socket.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
    return socket;
  }

  /**
   * A team, the random key, a route {@value #MODEL} to the loopback provider, and a route {@value #FAILOVER} whose
   * primary refuses connections and whose fallback is that provider: the failure path (a refused connect, the
   * breaker's bookkeeping, the fallback) runs hot too, so that the first requests after a provider dies do not pay
   * for its compilation. That primary's breaker opens after two failures and half-opens a millisecond later, so its
   * transitions, the skip at no cost and the probe all run too.
   */
  private static SnapshotConfig snapshot(String key, String baseUrl, String refusingUrl, String nodeToken) {
    String providerId = "warmup-provider";
    SealedSecret sealer = SealedSecret.forNodes(nodeToken);
    String sealed = sealer.seal("sk-warmup-provider", "provider:" + providerId + ":key:main");
    String deadId = "warmup-dead";
    String deadSealed = sealer.seal("sk-warmup-dead", "provider:" + deadId + ":key:main");
    BreakerConfig flapping = new BreakerConfig(2, 100, Integer.MAX_VALUE, null, 1L, null, null);
    return new SnapshotConfig(SnapshotConfig.KIND_FULL, 1, Instant.now(),
        new OrganizationConfig("warmup", "warm-up", null, null),
        List.of(new TeamConfig("warmup", "warm-up", null, null, null)),
        List.of(new VirtualKeyConfig("warmup-key", "warm-up", "warmup", Sha256.hex(key), key.substring(0, 12),
            List.of(), null, null, null, null)),
        List.of(new ProviderConfig(providerId, "warmup", ProviderType.OPENAI_COMPATIBLE, baseUrl,
            List.of(new ProviderKeyConfig("main", 1, sealed)), Map.of(), null),
            new ProviderConfig(deadId, "warmup-dead", ProviderType.OPENAI_COMPATIBLE, refusingUrl,
            List.of(new ProviderKeyConfig("main", 1, deadSealed)), Map.of(), null, flapping)),
        List.of(new RouteConfig("warmup-route", MODEL, List.of(new RouteTargetConfig("warmup", "warm-model", 1)),
            List.of(), RetryConfig.NONE),
            new RouteConfig("warmup-failover", FAILOVER, List.of(new RouteTargetConfig("warmup-dead", "m", 1)),
            List.of(new RouteTargetConfig("warmup", "warm-model", 1)), RetryConfig.NONE)),
        List.of());
  }

  /** Mostly OpenAI chat, as traffic mostly is; every other path the node serves often, translated ones included. */
  private static List<Call> mix() {
    String messages = "\"messages\":[{\"role\":\"system\",\"content\":\"You are brief.\"},"
        + "{\"role\":\"user\",\"content\":\"Warm up, please: say you are ready.\"}]";
    Call chat = new Call("/v1/chat/completions", "{\"model\":\"" + MODEL + "\"," + messages
        + ",\"temperature\":0.2,\"max_tokens\":64}");
    Call chatStream = new Call("/v1/chat/completions", "{\"model\":\"" + MODEL + "\"," + messages
        + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    String anthropic = "\"max_tokens\":64,\"system\":\"You are brief.\",\"messages\":[{\"role\":\"user\","
        + "\"content\":[{\"type\":\"text\",\"text\":\"Warm up, please: say you are ready.\"}]}]";
    Call messagesCall = new Call("/v1/messages", "{\"model\":\"" + MODEL + "\"," + anthropic + "}");
    Call messagesStream = new Call("/v1/messages", "{\"model\":\"" + MODEL + "\"," + anthropic
        + ",\"stream\":true}");
    Call responses = new Call("/v1/responses", "{\"model\":\"" + MODEL + "\",\"input\":\"Warm up, please.\"}");
    Call embeddings = new Call("/v1/embeddings", "{\"model\":\"" + MODEL + "\",\"input\":\"warm up\","
        + "\"encoding_format\":\"base64\"}");
    Call failover = new Call("/v1/chat/completions", "{\"model\":\"" + FAILOVER + "\"," + messages + "}");
    return List.of(chat, chatStream, chat, messagesCall, chat, chatStream, chat, messagesStream, chat, responses,
        chat, embeddings, failover);
  }
}
