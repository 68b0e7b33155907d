package dev.spillway.testsupport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A fake OpenAI-compatible provider: a real HTTP/1.1 server on loopback, answering what its queue of
 * {@link FakeResponse}s says (chat completions, SSE streams with pauses and holds, errors, hangs, drops).
 * It records every request and counts streams that the client abandoned mid-way.
 */
public final class FakeProvider implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final EventLoopGroup group;
  private final Channel serverChannel;
  private final ConcurrentLinkedQueue<FakeResponse> queued = new ConcurrentLinkedQueue<>();
  private final AtomicReference<FakeResponse> fallback = new AtomicReference<>(FakeResponse.chat());
  private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger abandonedStreams = new AtomicInteger();
  private final AtomicInteger completedStreams = new AtomicInteger();
  private final AtomicInteger openConnections = new AtomicInteger();
  private final AtomicInteger acceptedConnections = new AtomicInteger();
  private final AtomicInteger ids = new AtomicInteger();

  private FakeProvider(int port) {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    serverChannel = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            openConnections.incrementAndGet();
            acceptedConnections.incrementAndGet();
            ch.closeFuture().addListener(f -> openConnections.decrementAndGet());
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(16 * 1024 * 1024), new Handler());
          }
        })
        .bind("127.0.0.1", port)
        .syncUninterruptibly()
        .channel();
  }

  /** Starts on a free port. */
  public static FakeProvider start() {
    return new FakeProvider(0);
  }

  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** Base URL with the {@code /v1} suffix, as OpenAI-compatible providers are configured. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port() + "/v1";
  }

  /** The answer to every request that finds the queue empty. */
  public FakeProvider respondWith(FakeResponse response) {
    fallback.set(response);
    return this;
  }

  /** Answers for the next requests, in order. */
  public FakeProvider enqueue(FakeResponse... responses) {
    Collections.addAll(queued, responses);
    return this;
  }

  public List<RecordedRequest> requests() {
    return List.copyOf(requests);
  }

  public int requestCount() {
    return requests.size();
  }

  public RecordedRequest lastRequest() {
    return requests.get(requests.size() - 1);
  }

  /** Streams whose client went away before the last chunk. */
  public int abandonedStreams() {
    return abandonedStreams.get();
  }

  public int completedStreams() {
    return completedStreams.get();
  }

  public int openConnections() {
    return openConnections.get();
  }

  /** Connections accepted since start or the last {@link #reset()}. */
  public int acceptedConnections() {
    return acceptedConnections.get();
  }

  public void reset() {
    queued.clear();
    requests.clear();
    fallback.set(FakeResponse.chat());
    abandonedStreams.set(0);
    completedStreams.set(0);
    acceptedConnections.set(0);
  }

  @Override
  public void close() {
    serverChannel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      Map<String, String> headers = new TreeMap<>();
      req.headers().forEach(h -> headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
      String body = req.content().toString(StandardCharsets.UTF_8);
      RecordedRequest recorded = new RecordedRequest(req.method().name(), req.uri(), headers, body);
      requests.add(recorded);
      FakeResponse next = queued.poll();
      FakeResponse response = next != null ? next : fallback.get();
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      if (response.delay.isZero()) {
        answer(ctx, recorded, response, keepAlive);
      } else {
        ctx.executor().schedule(() -> answer(ctx, recorded, response, keepAlive),
            response.delay.toNanos(), TimeUnit.NANOSECONDS);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private void answer(ChannelHandlerContext ctx, RecordedRequest req, FakeResponse response, boolean keepAlive) {
    if (!ctx.channel().isActive()) {
      return;
    }
    switch (response.kind) {
      case HANG -> { }
      case DROP -> ctx.close();
      case ERROR -> writeFull(ctx, response.status, "application/json", errorBody(response), keepAlive);
      case RAW -> writeFull(ctx, response.status, response.contentType, response.content, keepAlive);
      case CHAT -> writeFull(ctx, 200, "application/json", chatBody(req, response), keepAlive);
      case STREAM -> new StreamWriter(ctx, req, response, keepAlive).start();
    }
  }

  private static void writeFull(ChannelHandlerContext ctx, int status, String contentType, String body,
      boolean keepAlive) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
        Unpooled.wrappedBuffer(bytes));
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    if (!keepAlive) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    var future = ctx.writeAndFlush(res);
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
    }
  }

  private String errorBody(FakeResponse response) {
    ObjectNode error = JSON.createObjectNode();
    ObjectNode inner = error.putObject("error");
    inner.put("message", response.content);
    inner.put("type", response.errorType);
    inner.putNull("param");
    inner.put("code", "fake_" + response.status);
    return error.toString();
  }

  private String chatBody(RecordedRequest req, FakeResponse response) {
    JsonNode request = parse(req.body());
    ObjectNode root = JSON.createObjectNode();
    root.put("id", "chatcmpl-fake-" + ids.incrementAndGet());
    root.put("object", "chat.completion");
    root.put("created", System.currentTimeMillis() / 1000);
    root.put("model", request.path("model").asString("unknown"));
    ArrayNode choices = root.putArray("choices");
    ObjectNode choice = choices.addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    message.put("content", response.content != null ? response.content : "Echo: " + lastUserText(request));
    choice.put("finish_reason", "stop");
    ObjectNode usage = root.putObject("usage");
    usage.put("prompt_tokens", response.promptTokens);
    usage.put("completion_tokens", response.completionTokens);
    usage.put("total_tokens", response.promptTokens + response.completionTokens);
    return root.toString();
  }

  private static JsonNode parse(String body) {
    try {
      return JSON.readTree(body);
    } catch (RuntimeException e) {
      return JSON.createObjectNode();
    }
  }

  static String lastUserText(JsonNode request) {
    JsonNode messages = request.path("messages");
    for (int i = messages.size() - 1; i >= 0; i--) {
      JsonNode m = messages.get(i);
      if ("user".equals(m.path("role").asString(""))) {
        JsonNode content = m.path("content");
        if (content.isString()) {
          return content.asString();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
          text.append(part.path("text").asString(""));
        }
        return text.toString();
      }
    }
    return "";
  }

  /** Writes one SSE stream chunk by chunk on the channel's event loop. */
  private final class StreamWriter {
    private final ChannelHandlerContext ctx;
    private final FakeResponse response;
    private final boolean keepAlive;
    private final String id = "chatcmpl-fake-" + ids.incrementAndGet();
    private final String model;
    private final boolean includeUsage;
    private final List<String> events = new ArrayList<>();
    private int next;
    private boolean finished;

    StreamWriter(ChannelHandlerContext ctx, RecordedRequest req, FakeResponse response, boolean keepAlive) {
      this.ctx = ctx;
      this.response = response;
      this.keepAlive = keepAlive;
      JsonNode request = parse(req.body());
      this.model = request.path("model").asString("unknown");
      this.includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
      events.add(chunk(delta("role", "assistant", "content", ""), null));
      for (String text : response.chunks) {
        events.add(chunk(delta("content", text), null));
      }
      events.add(chunk(JSON.createObjectNode(), "stop"));
      if (includeUsage) {
        ObjectNode usageChunk = base();
        usageChunk.putArray("choices");
        ObjectNode usage = usageChunk.putObject("usage");
        usage.put("prompt_tokens", response.promptTokens);
        usage.put("completion_tokens", response.completionTokens);
        usage.put("total_tokens", response.promptTokens + response.completionTokens);
        events.add(usageChunk.toString());
      }
      events.add("[DONE]");
    }

    void start() {
      HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
      head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
      HttpUtil.setTransferEncodingChunked(head, true);
      ctx.writeAndFlush(head);
      ctx.channel().closeFuture().addListener(f -> {
        if (!finished) {
          abandonedStreams.incrementAndGet();
        }
      });
      writeNext();
    }

    private void writeNext() {
      if (!ctx.channel().isActive()) {
        return;
      }
      // Event 0 is the role chunk, so content chunk n is event n.
      if (response.dropAfterChunks >= 0 && next == response.dropAfterChunks + 1) {
        finished = true;
        ctx.close();
        return;
      }
      if (response.release != null && next == response.holdAfterChunks + 1 && !response.release.isDone()) {
        response.release.whenComplete((v, e) -> ctx.executor().execute(this::writeNext));
        return;
      }
      if (next == events.size()) {
        finished = true;
        completedStreams.incrementAndGet();
        var future = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (!keepAlive) {
          future.addListener(ChannelFutureListener.CLOSE);
        }
        return;
      }
      String event = "data: " + events.get(next++) + "\n\n";
      ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(event, StandardCharsets.UTF_8)))
          .addListener(f -> {
            if (!f.isSuccess()) {
              return;
            }
            if (response.pauseBetweenChunks.isZero()) {
              writeNext();
            } else {
              ctx.executor().schedule(this::writeNext, response.pauseBetweenChunks.toNanos(), TimeUnit.NANOSECONDS);
            }
          });
    }

    private ObjectNode base() {
      ObjectNode node = JSON.createObjectNode();
      node.put("id", id);
      node.put("object", "chat.completion.chunk");
      node.put("created", System.currentTimeMillis() / 1000);
      node.put("model", model);
      return node;
    }

    private String chunk(ObjectNode delta, String finishReason) {
      ObjectNode node = base();
      ObjectNode choice = node.putArray("choices").addObject();
      choice.put("index", 0);
      choice.set("delta", delta);
      if (finishReason == null) {
        choice.putNull("finish_reason");
      } else {
        choice.put("finish_reason", finishReason);
      }
      return node.toString();
    }

    private ObjectNode delta(String... keyValues) {
      ObjectNode delta = JSON.createObjectNode();
      for (int i = 0; i < keyValues.length; i += 2) {
        delta.put(keyValues[i], keyValues[i + 1]);
      }
      return delta;
    }
  }
}
