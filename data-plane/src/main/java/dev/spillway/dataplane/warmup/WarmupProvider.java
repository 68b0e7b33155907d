package dev.spillway.dataplane.warmup;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * An OpenAI-compatible provider on loopback that answers the warm-up's requests with fixed answers: a chat
 * completion, the same answer as a stream of server-sent events, an embeddings list. It runs only while a node warms
 * up, on the node's own event loops, and reads nothing but the body's {@code "stream":true}.
 */
final class WarmupProvider implements AutoCloseable {
  private static final byte[] CHAT = ("{\"id\":\"chatcmpl-warmup\",\"object\":\"chat.completion\",\"created\":0,"
      + "\"model\":\"warm-model\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
      + "\"Warm and ready.\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":4,"
      + "\"total_tokens\":16}}").getBytes(StandardCharsets.UTF_8);
  private static final byte[] STREAM = stream();
  private static final byte[] EMBEDDINGS = ("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
      + "\"embedding\":[0.125,-0.5,0.25,0.75,-0.125,0.5,0.0625,-0.25]}],\"model\":\"warm-model\","
      + "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}").getBytes(StandardCharsets.UTF_8);

  private final Channel server;

  private WarmupProvider(Channel server) {
    this.server = server;
  }

  static WarmupProvider start(EventLoopGroup group, Class<? extends ServerChannel> channelType) {
    Channel server = new ServerBootstrap()
        .group(group)
        .channel(channelType)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Answers());
          }
        })
        .bind("127.0.0.1", 0)
        .syncUninterruptibly()
        .channel();
    return new WarmupProvider(server);
  }

  /** The base URL a provider config points at. */
  String baseUrl() {
    return "http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + "/v1";
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
  }

  private static byte[] stream() {
    StringBuilder events = new StringBuilder();
    String prefix = "data: {\"id\":\"chatcmpl-warmup\",\"object\":\"chat.completion.chunk\",\"created\":0,"
        + "\"model\":\"warm-model\",\"choices\":[{\"index\":0,\"delta\":";
    events.append(prefix).append("{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n");
    for (String piece : new String[] {"Warm", " and", " ready", ",", " token", " by", " token", "."}) {
      events.append(prefix).append("{\"content\":\"").append(piece).append("\"},\"finish_reason\":null}]}\n\n");
    }
    events.append(prefix).append("{},\"finish_reason\":\"stop\"}]}\n\n");
    events.append("data: {\"id\":\"chatcmpl-warmup\",\"object\":\"chat.completion.chunk\",\"created\":0,"
        + "\"model\":\"warm-model\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":8,"
        + "\"total_tokens\":20}}\n\n");
    events.append("data: [DONE]\n\n");
    return events.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static final class Answers extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      String uri = request.uri();
      byte[] body;
      String type = "application/json";
      if (uri.endsWith("/embeddings")) {
        body = EMBEDDINGS;
      } else if (request.content().toString(StandardCharsets.UTF_8).contains("\"stream\":true")) {
        body = STREAM;
        type = "text/event-stream";
      } else {
        body = CHAT;
      }
      ByteBuf content = Unpooled.wrappedBuffer(body);
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, content);
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
      ctx.writeAndFlush(response);
    }
  }
}
