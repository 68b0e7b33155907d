package dev.spillway.dataplane.server;

import dev.spillway.dataplane.config.ConfigHolder;
import dev.spillway.dataplane.config.NodeConfig;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.metrics.NodeMetrics;
import dev.spillway.dataplane.protocol.ErrorShape;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The node's admin listener ({@code SPILLWAY_DP_ADMIN_HOST}:{@code SPILLWAY_DP_ADMIN_PORT}): {@code GET /metrics}
 * (Prometheus text), {@code /healthz} and {@code /readyz}. Separate from the public port because the metrics name
 * teams, routes, providers and keys, which no API client should read; loopback by default.
 *
 * <p>It shares the node's event loops: everything it does is cheap and non-blocking (rendering the metrics takes
 * well under a millisecond), and it never touches the request path's handlers, so a scrape cannot be refused by a
 * client limit nor counted as a client request.
 */
public final class AdminServer implements AutoCloseable {
  /** Admin requests are bodiless GETs: anything larger is refused by the aggregator. */
  private static final int MAX_REQUEST_BYTES = 8 * 1024;
  private static final int IDLE_SECONDS = 60;

  private final Channel channel;

  private AdminServer(Channel channel) {
    this.channel = channel;
  }

  /** Listens on {@code host:port} ({@code port} 0: an ephemeral one, see {@link #port()}). */
  public static AdminServer bind(EventLoopGroup group, Class<? extends ServerChannel> channelType, String host,
      int port, ConfigHolder config, NodeMetrics metrics) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(metrics, "metrics");
    Channel channel = new ServerBootstrap()
        .group(group)
        .channel(channelType)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline()
                .addLast("idle", new IdleStateHandler(IDLE_SECONDS, 0, 0, TimeUnit.SECONDS))
                .addLast("codec", new HttpServerCodec())
                .addLast("keep-alive", new HttpServerKeepAliveHandler())
                .addLast("aggregator", new HttpObjectAggregator(MAX_REQUEST_BYTES))
                .addLast("admin", new AdminHandler(config, metrics));
          }
        })
        .bind(host, port)
        .syncUninterruptibly()
        .channel();
    return new AdminServer(channel);
  }

  /** The bound port. */
  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
  }

  /** One admin connection; runs on its event loop. */
  private static final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final ConfigHolder config;
    private final NodeMetrics metrics;

    AdminHandler(ConfigHolder config, NodeMetrics metrics) {
      this.config = config;
      this.metrics = metrics;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      if (!request.decoderResult().isSuccess()) {
        ctx.writeAndFlush(error(GatewayError.INVALID_REQUEST, "malformed request"))
            .addListener(ChannelFutureListener.CLOSE);
        return;
      }
      String uri = request.uri();
      int query = uri.indexOf('?');
      String path = query < 0 ? uri : uri.substring(0, query);
      FullHttpResponse response = switch (path) {
        case "/metrics", "/healthz", "/readyz" -> HttpMethod.GET.equals(request.method()) ? answer(path)
            : error(GatewayError.METHOD_NOT_ALLOWED, path + " accepts GET only");
        default -> error(GatewayError.UNKNOWN_URL, "Unknown request URL: " + request.method() + " " + path);
      };
      // HttpServerKeepAliveHandler closes the connection after this answer when the request asked for that.
      ctx.writeAndFlush(response);
    }

    private FullHttpResponse answer(String path) {
      return switch (path) {
        case "/metrics" -> {
          byte[] text = metrics.scrape();
          yield text == null ? error(GatewayError.UNKNOWN_URL, "this node keeps no metrics")
              : response(HttpResponseStatus.OK, NodeMetrics.CONTENT_TYPE, text);
        }
        case "/healthz" -> json(HttpResponseStatus.OK, Json.bytes(Json.object().put("status", "ok")));
        default -> {
          NodeConfig current = config.current();
          if (current == null) {
            String why = config.lastError() == null ? "no config snapshot yet" : config.lastError();
            yield error(GatewayError.NOT_READY, "not ready: " + why);
          }
          yield json(HttpResponseStatus.OK, Json.bytes(Json.object().put("status", "ready")
              .put("config_version", current.version())));
        }
      };
    }

    private static FullHttpResponse error(GatewayError error, String message) {
      return json(error.status(), ErrorShape.openAi(error, message, null));
    }

    private static FullHttpResponse json(HttpResponseStatus status, byte[] body) {
      return response(status, "application/json", body);
    }

    private static FullHttpResponse response(HttpResponseStatus status, String contentType, byte[] body) {
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
          Unpooled.wrappedBuffer(body));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
      return response;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof IdleStateEvent) {
        ctx.close();
        return;
      }
      super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A scraper that hung up, or a request the codec could not parse: nothing to answer.
      ctx.close();
    }
  }
}
