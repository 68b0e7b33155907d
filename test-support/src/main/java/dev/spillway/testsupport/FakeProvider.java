package dev.spillway.testsupport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
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
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.pkitesting.X509Bundle;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A fake OpenAI-compatible provider: a real HTTP/1.1 server on loopback, answering what its queue of
 * {@link FakeResponse}s says (chat completions, SSE streams with pauses and holds, errors, hangs, drops), in the
 * shape of the API each request's path names: chat completions, legacy completions, the Responses API and
 * embeddings, on any base path (so {@link #origin()} serves as an Azure OpenAI endpoint too:
 * {@code /openai/deployments/{d}/chat/completions?api-version=…}). It records every request and counts streams
 * that the client abandoned mid-way.
 *
 * <p>{@link #startHttps()} makes it an HTTPS server instead, with a certificate issued by the test JVM's throwaway
 * CA ({@link TestCertificates}; {@link #caFile()} for {@code SPILLWAY_UPSTREAM_CA_FILE}), offering {@code h2} and
 * {@code http/1.1} by ALPN (or only {@code http/1.1}). HTTP/2 streams are answered exactly as HTTP/1.1 requests
 * are: each stream speaks {@code HttpObject}s to the same handler. It records each request's protocol, counts the
 * TCP connections it accepted and the streams the client reset.
 *
 * <p>Answers may depend on the provider key a request carries ({@link RecordedRequest#apiKey()}): see
 * {@link #respondForKey(String, FakeResponse)}. Which answer a request gets, first match wins: the next one queued
 * for its key, the answer set for its key, the next one queued for any key, the answer to every request.
 */
public final class FakeProvider implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String H2 = ApplicationProtocolNames.HTTP_2;
  private static final String HTTP_1_1 = ApplicationProtocolNames.HTTP_1_1;

  /**
   * How an HTTPS fake presents itself.
   *
   * @param protocols            what it offers by ALPN, preferred first
   * @param certificateNames     the names its certificate is valid for (IP literals or DNS names)
   * @param maxConcurrentStreams the HTTP/2 stream limit it announces, 0 for none
   */
  public record Https(List<String> protocols, List<String> certificateNames, int maxConcurrentStreams) {
    public Https {
      protocols = List.copyOf(protocols);
      certificateNames = List.copyOf(certificateNames);
      if (maxConcurrentStreams < 0) {
        throw new IllegalArgumentException("maxConcurrentStreams: " + maxConcurrentStreams + " (expected: >= 0)");
      }
    }

    /** {@code h2} and {@code http/1.1}; a certificate for 127.0.0.1 and localhost; no stream limit. */
    public static Https defaults() {
      return new Https(List.of(H2, HTTP_1_1), List.of("127.0.0.1", "localhost"), 0);
    }

    /** Offers only {@code http/1.1} by ALPN. */
    public Https http1Only() {
      return new Https(List.of(HTTP_1_1), certificateNames, maxConcurrentStreams);
    }

    /** A certificate valid for these names only (e.g. another host's, to provoke a hostname mismatch). */
    public Https certificateFor(String... names) {
      return new Https(protocols, List.of(names), maxConcurrentStreams);
    }

    /** Announces SETTINGS_MAX_CONCURRENT_STREAMS. */
    public Https maxConcurrentStreams(int streams) {
      return new Https(protocols, certificateNames, streams);
    }
  }

  private final Https https;
  private final EventLoopGroup group;
  private final Channel serverChannel;
  private final ConcurrentLinkedQueue<FakeResponse> queued = new ConcurrentLinkedQueue<>();
  private final AtomicReference<FakeResponse> fallback = new AtomicReference<>(FakeResponse.chat());
  private final Map<String, ConcurrentLinkedQueue<FakeResponse>> queuedByKey = new ConcurrentHashMap<>();
  private final Map<String, FakeResponse> byKey = new ConcurrentHashMap<>();
  private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger abandonedStreams = new AtomicInteger();
  private final AtomicInteger completedStreams = new AtomicInteger();
  private final AtomicInteger openConnections = new AtomicInteger();
  private final AtomicInteger acceptedConnections = new AtomicInteger();
  private final AtomicInteger ids = new AtomicInteger();
  private final AtomicInteger resetStreams = new AtomicInteger();

  private FakeProvider(int port, Https https) {
    this.https = https;
    SslContext tls = https == null ? null : serverContext(https);
    ChannelHandler streamInitializer = new StreamInitializer();
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
            if (tls == null) {
              addHttp1(ch.pipeline());
              return;
            }
            ch.pipeline().addLast(tls.newHandler(ch.alloc()), new ProtocolSelection(streamInitializer));
          }
        })
        .bind("127.0.0.1", port)
        .syncUninterruptibly()
        .channel();
  }

  /** Starts on a free port. */
  public static FakeProvider start() {
    return new FakeProvider(0, null);
  }

  /** Starts an HTTPS fake on a free port with {@link Https#defaults()}. */
  public static FakeProvider startHttps() {
    return startHttps(Https.defaults());
  }

  /** Starts an HTTPS fake on a free port. */
  public static FakeProvider startHttps(Https https) {
    return new FakeProvider(0, Objects.requireNonNull(https, "https"));
  }

  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** Base URL with the {@code /v1} suffix, as OpenAI-compatible providers are configured. */
  public String baseUrl() {
    return origin() + "/v1";
  }

  /** Scheme, host and port without a path, as Azure OpenAI endpoints are configured. */
  public String origin() {
    return (https == null ? "http" : "https") + "://127.0.0.1:" + port();
  }

  /** The PEM certificate of the CA that issued this HTTPS fake's certificate, for SPILLWAY_UPSTREAM_CA_FILE. */
  public Path caFile() {
    if (https == null) {
      throw new IllegalStateException("a plain HTTP fake has no certificate (expected: FakeProvider.startHttps())");
    }
    return TestCertificates.caFile();
  }

  /** The protocol of each recorded request, in order: {@code h2} or {@code http/1.1}. */
  public List<String> protocols() {
    return requests.stream().map(RecordedRequest::protocol).toList();
  }

  /** HTTP/2 streams the client reset (RST_STREAM) since start or the last {@link #reset()}. */
  public int resetStreams() {
    return resetStreams.get();
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

  /**
   * The answer to every request that carries this provider key (e.g. {@code error(401, "invalid key")} for a revoked
   * one), ahead of the shared queue and {@link #respondWith(FakeResponse)}; other keys are answered as before.
   */
  public FakeProvider respondForKey(String apiKey, FakeResponse response) {
    byKey.put(Objects.requireNonNull(apiKey, "apiKey"), Objects.requireNonNull(response, "response"));
    return this;
  }

  /** Answers for the next requests that carry this provider key, in order, ahead of everything else. */
  public FakeProvider enqueueForKey(String apiKey, FakeResponse... responses) {
    Collections.addAll(queuedByKey.computeIfAbsent(Objects.requireNonNull(apiKey, "apiKey"),
        k -> new ConcurrentLinkedQueue<>()), responses);
    return this;
  }

  /** The provider key of each recorded request, in order (null for a request without one). */
  public List<String> apiKeys() {
    return requests.stream().map(RecordedRequest::apiKey).toList();
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
    queuedByKey.clear();
    byKey.clear();
    requests.clear();
    fallback.set(FakeResponse.chat());
    abandonedStreams.set(0);
    completedStreams.set(0);
    acceptedConnections.set(0);
    resetStreams.set(0);
  }

  @Override
  public void close() {
    serverChannel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static SslContext serverContext(Https https) {
    X509Bundle certificate = TestCertificates.serverCertificate(https.certificateNames());
    try {
      return SslContextBuilder.forServer(certificate.getKeyPair().getPrivate(), certificate.getCertificatePath())
          .sslProvider(SslProvider.JDK)
          .applicationProtocolConfig(new ApplicationProtocolConfig(
              ApplicationProtocolConfig.Protocol.ALPN,
              ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
              ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
              https.protocols()))
          .build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot create the fake's TLS context", e);
    }
  }

  private void addHttp1(ChannelPipeline pipeline) {
    pipeline.addLast(new HttpServerCodec(), new HttpObjectAggregator(16 * 1024 * 1024), new Handler(HTTP_1_1));
  }

  /** After the TLS handshake: HTTP/1.1 as over clear text, or HTTP/2 with a stream channel per request. */
  private final class ProtocolSelection extends ApplicationProtocolNegotiationHandler {
    private final ChannelHandler streamInitializer;

    ProtocolSelection(ChannelHandler streamInitializer) {
      super(HTTP_1_1);
      this.streamInitializer = streamInitializer;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
      if (!H2.equals(protocol)) {
        addHttp1(ctx.pipeline());
        return;
      }
      Http2Settings settings = Http2Settings.defaultSettings();
      if (https.maxConcurrentStreams() > 0) {
        settings.maxConcurrentStreams(https.maxConcurrentStreams());
      }
      ctx.pipeline().addLast(
          // A dropped connection goes at once instead of waiting for its streams to end.
          Http2FrameCodecBuilder.forServer().initialSettings(settings).gracefulShutdownTimeoutMillis(0).build(),
          new Http2MultiplexHandler(streamInitializer));
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
      // Expected in tests of untrusted certificates; the client reports it.
      ctx.close();
    }
  }

  /** Each HTTP/2 stream: its resets counted, its frames as {@code HttpObject}s, the same handler as HTTP/1.1. */
  @ChannelHandler.Sharable
  private final class StreamInitializer extends ChannelInitializer<Http2StreamChannel> {
    @Override
    protected void initChannel(Http2StreamChannel ch) {
      ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
          if (evt instanceof Http2ResetFrame) {
            resetStreams.incrementAndGet();
          }
          ctx.fireUserEventTriggered(evt);
        }
      });
      ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), new HttpObjectAggregator(16 * 1024 * 1024),
          new Handler(H2));
    }
  }

  /** Closes the TCP connection: the stream's parent over HTTP/2. */
  private static void closeConnection(ChannelHandlerContext ctx) {
    if (ctx.channel() instanceof Http2StreamChannel stream) {
      stream.parent().close();
    } else {
      ctx.close();
    }
  }

  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final String protocol;

    Handler(String protocol) {
      this.protocol = protocol;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      Map<String, String> headers = new TreeMap<>();
      req.headers().forEach(h -> {
        String name = h.getKey().toLowerCase(Locale.ROOT);
        // The HTTP/2 codec's own markers (x-http2-scheme, x-http2-stream-id) were not sent by the client.
        if (!name.startsWith("x-http2-")) {
          headers.put(name, h.getValue());
        }
      });
      String body = req.content().toString(StandardCharsets.UTF_8);
      RecordedRequest recorded = new RecordedRequest(req.method().name(), req.uri(), headers, body, protocol);
      requests.add(recorded);
      FakeResponse response = responseFor(recorded.apiKey());
      boolean h2 = ctx.channel() instanceof Http2StreamChannel;
      boolean keepAlive = HttpUtil.isKeepAlive(req) && !(response.goAwayFirst && !h2);
      if (response.goAwayFirst && h2) {
        // The codec names the last stream the client opened, this one: it is answered, no later one is.
        ctx.channel().parent().writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
      }
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

  private FakeResponse responseFor(String apiKey) {
    if (apiKey != null) {
      ConcurrentLinkedQueue<FakeResponse> forKey = queuedByKey.get(apiKey);
      FakeResponse next = forKey == null ? null : forKey.poll();
      if (next != null) {
        return next;
      }
      FakeResponse set = byKey.get(apiKey);
      if (set != null) {
        return set;
      }
    }
    FakeResponse next = queued.poll();
    return next != null ? next : fallback.get();
  }

  /** GOAWAY naming the stream before this one as the last processed: this request was never processed. */
  private static void refuse(ChannelHandlerContext ctx) {
    if (!(ctx.channel() instanceof Http2StreamChannel stream)) {
      ctx.close();
      return;
    }
    ChannelPipeline connection = stream.parent().pipeline();
    Http2FrameCodec codec = connection.get(Http2FrameCodec.class);
    ChannelHandlerContext codecContext = connection.context(codec);
    codec.goAway(codecContext, Math.max(0, stream.stream().id() - 2), Http2Error.NO_ERROR.code(),
        Unpooled.EMPTY_BUFFER, codecContext.newPromise());
    codecContext.flush();
  }

  /** The OpenAI API a request path belongs to; the fake answers in that API's shape. */
  enum Api { CHAT, COMPLETIONS, RESPONSES, EMBEDDINGS }

  static Api api(String uri) {
    int query = uri.indexOf('?');
    String path = query < 0 ? uri : uri.substring(0, query);
    if (path.endsWith("/embeddings")) {
      return Api.EMBEDDINGS;
    }
    if (path.endsWith("/responses")) {
      return Api.RESPONSES;
    }
    if (path.endsWith("/completions") && !path.endsWith("/chat/completions")) {
      return Api.COMPLETIONS;
    }
    return Api.CHAT;
  }

  private void answer(ChannelHandlerContext ctx, RecordedRequest req, FakeResponse response, boolean keepAlive) {
    if (!ctx.channel().isActive()) {
      return;
    }
    switch (response.kind) {
      case HANG -> { }
      case DROP -> closeConnection(ctx);
      case REFUSE -> refuse(ctx);
      case ERROR -> writeFull(ctx, response.status, "application/json", errorBody(response), response.headers,
          keepAlive);
      case RAW -> writeFull(ctx, response.status, response.contentType, response.content, response.headers,
          keepAlive);
      case CHAT -> writeFull(ctx, 200, "application/json", body(req, response), response.headers, keepAlive);
      case STREAM -> new StreamWriter(ctx, req, response, keepAlive).start();
    }
  }

  private String body(RecordedRequest req, FakeResponse response) {
    JsonNode request = parse(req.body());
    return switch (api(req.uri())) {
      case CHAT -> chatBody(request, response);
      case COMPLETIONS -> completionBody(request, response);
      case RESPONSES -> responsesBody(request, response);
      case EMBEDDINGS -> embeddingsBody(request, response);
    };
  }

  private static void writeFull(ChannelHandlerContext ctx, int status, String contentType, String body,
      Map<String, String> headers, boolean keepAlive) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
        Unpooled.wrappedBuffer(bytes));
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    headers.forEach((name, value) -> res.headers().set(name, value));
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

  private String text(JsonNode request, FakeResponse response) {
    if (response.content != null) {
      return response.content;
    }
    return response.toolCalls.isEmpty() ? "Echo: " + lastUserText(request) : null;
  }

  private String chatBody(JsonNode request, FakeResponse response) {
    ObjectNode root = JSON.createObjectNode();
    root.put("id", "chatcmpl-fake-" + ids.incrementAndGet());
    root.put("object", "chat.completion");
    root.put("created", System.currentTimeMillis() / 1000);
    root.put("model", response.modelFor(request));
    ArrayNode choices = root.putArray("choices");
    String text = text(request, response);
    for (int index = 0; index < Math.max(1, request.path("n").asInt(1)); index++) {
      ObjectNode choice = choices.addObject();
      choice.put("index", index);
      ObjectNode message = choice.putObject("message");
      message.put("role", "assistant");
      message.put("content", text);
      if (!response.toolCalls.isEmpty()) {
        ArrayNode calls = message.putArray("tool_calls");
        for (FakeResponse.ToolCall call : response.toolCalls) {
          ObjectNode c = calls.addObject();
          c.put("id", call.id());
          c.put("type", "function");
          c.putObject("function").put("name", call.name()).put("arguments", call.arguments());
        }
      }
      choice.put("finish_reason", response.finishReasonOr("stop"));
    }
    usage(root, response);
    return root.toString();
  }

  private static void usage(ObjectNode root, FakeResponse response) {
    ObjectNode usage = root.putObject("usage");
    usage.put("prompt_tokens", response.promptTokens);
    usage.put("completion_tokens", response.completionTokens);
    usage.put("total_tokens", response.promptTokens + response.completionTokens);
  }

  private String completionBody(JsonNode request, FakeResponse response) {
    ObjectNode root = JSON.createObjectNode();
    root.put("id", "cmpl-fake-" + ids.incrementAndGet());
    root.put("object", "text_completion");
    root.put("created", System.currentTimeMillis() / 1000);
    root.put("model", response.modelFor(request));
    ObjectNode choice = root.putArray("choices").addObject();
    choice.put("text", response.content != null ? response.content : "Echo: " + promptText(request));
    choice.put("index", 0);
    choice.putNull("logprobs");
    choice.put("finish_reason", response.finishReasonOr("stop"));
    usage(root, response);
    return root.toString();
  }

  private String responsesBody(JsonNode request, FakeResponse response) {
    ObjectNode root = responseObject(request, "resp_fake_" + ids.incrementAndGet(), "completed");
    ArrayNode output = root.putArray("output");
    String text = response.content != null ? response.content
        : response.toolCalls.isEmpty() ? "Echo: " + inputText(request) : null;
    if (text != null) {
      ObjectNode message = output.addObject();
      message.put("id", "msg_fake");
      message.put("type", "message");
      message.put("status", "completed");
      message.put("role", "assistant");
      message.putArray("content").add(outputText(text));
    }
    for (FakeResponse.ToolCall call : response.toolCalls) {
      output.add(functionCall(call, "completed"));
    }
    root.set("usage", responsesUsage(response));
    return root.toString();
  }

  private static ObjectNode responseObject(JsonNode request, String id, String status) {
    ObjectNode root = JSON.createObjectNode();
    root.put("id", id);
    root.put("object", "response");
    root.put("created_at", System.currentTimeMillis() / 1000);
    root.put("status", status);
    root.putNull("error");
    root.putNull("incomplete_details");
    root.putNull("instructions");
    root.put("model", request.path("model").asString("unknown"));
    root.putArray("output");
    root.put("parallel_tool_calls", true);
    root.put("temperature", 1.0);
    root.put("tool_choice", "auto");
    root.putArray("tools");
    root.put("top_p", 1.0);
    root.putNull("usage");
    root.putObject("metadata");
    return root;
  }

  private static ObjectNode outputText(String text) {
    ObjectNode part = JSON.createObjectNode();
    part.put("type", "output_text");
    part.put("text", text);
    part.putArray("annotations");
    return part;
  }

  private static ObjectNode functionCall(FakeResponse.ToolCall call, String status) {
    ObjectNode item = JSON.createObjectNode();
    item.put("id", "fc_" + call.id());
    item.put("type", "function_call");
    item.put("status", status);
    item.put("arguments", call.arguments());
    item.put("call_id", call.id());
    item.put("name", call.name());
    return item;
  }

  private static ObjectNode responsesUsage(FakeResponse response) {
    ObjectNode usage = JSON.createObjectNode();
    usage.put("input_tokens", response.promptTokens);
    usage.putObject("input_tokens_details").put("cached_tokens", 0);
    usage.put("output_tokens", response.completionTokens);
    usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
    usage.put("total_tokens", response.promptTokens + response.completionTokens);
    return usage;
  }

  /**
   * Embeddings: input {@code k} gets the vector {@code [(k+1)*0.25 + j*0.5 for j < dimensions]} (exact in
   * float32), base64 of little-endian float32 when the request says {@code encoding_format: base64}.
   */
  private String embeddingsBody(JsonNode request, FakeResponse response) {
    JsonNode input = request.path("input");
    int count = input.isArray() ? input.size() : 1;
    int dimensions = request.path("dimensions").asInt(8);
    boolean base64 = "base64".equals(request.path("encoding_format").asString(""));
    ObjectNode root = JSON.createObjectNode();
    root.put("object", "list");
    ArrayNode data = root.putArray("data");
    for (int k = 0; k < count; k++) {
      ObjectNode item = data.addObject();
      item.put("object", "embedding");
      item.put("index", k);
      float[] vector = embedding(k, dimensions);
      if (base64) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : vector) {
          bytes.putFloat(v);
        }
        item.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
      } else {
        ArrayNode values = item.putArray("embedding");
        for (float v : vector) {
          values.add(v);
        }
      }
    }
    root.put("model", response.modelFor(request));
    root.putObject("usage").put("prompt_tokens", response.promptTokens).put("total_tokens", response.promptTokens);
    return root.toString();
  }

  /** The vector the fake answers for input {@code index}; tests compare against it. */
  public static float[] embedding(int index, int dimensions) {
    float[] vector = new float[dimensions];
    for (int j = 0; j < dimensions; j++) {
      vector[j] = (index + 1) * 0.25f + j * 0.5f;
    }
    return vector;
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

  private static String promptText(JsonNode request) {
    JsonNode prompt = request.path("prompt");
    return prompt.isArray() ? prompt.path(0).asString(prompt.toString()) : prompt.asString("");
  }

  /** The text of the Responses request's last user input (a string input, or its last user message's text). */
  private static String inputText(JsonNode request) {
    JsonNode input = request.path("input");
    if (input.isString()) {
      return input.asString();
    }
    for (int i = input.size() - 1; i >= 0; i--) {
      JsonNode item = input.get(i);
      if ("user".equals(item.path("role").asString(""))) {
        JsonNode content = item.path("content");
        if (content.isString()) {
          return content.asString();
        }
        StringBuilder text = new StringBuilder();
        content.forEach(part -> text.append(part.path("text").asString("")));
        return text.toString();
      }
    }
    return "";
  }

  /**
   * Writes one SSE stream event by event on the channel's event loop. Event 0 opens the stream (the role chunk of
   * chat, {@code response.created} of the Responses API), so content chunk {@code n} is event {@code n} for
   * {@link FakeResponse#holdAfter}, {@link FakeResponse#dropAfter} and {@link FakeResponse#errorEventAfter}.
   */
  private final class StreamWriter {
    private final ChannelHandlerContext ctx;
    private final FakeResponse response;
    private final boolean keepAlive;
    private final String id = "chatcmpl-fake-" + ids.incrementAndGet();
    private final String model;
    private final Api api;
    private final List<String> events = new ArrayList<>();
    private int next;
    private boolean finished;

    StreamWriter(ChannelHandlerContext ctx, RecordedRequest req, FakeResponse response, boolean keepAlive) {
      this.ctx = ctx;
      this.response = response;
      this.keepAlive = keepAlive;
      JsonNode request = parse(req.body());
      this.model = response.modelFor(request);
      this.api = api(req.uri());
      switch (api) {
        case RESPONSES -> responsesEvents(request);
        case COMPLETIONS -> completionEvents(request);
        default -> chatEvents(request);
      }
      if (response.errorEventFirst) {
        events.clear();
        events.add(errorEvent(0));
      } else if (response.errorEventAfterChunks >= 0) {
        int kept = Math.min(events.size(), response.errorEventAfterChunks + 1);
        events.subList(kept, events.size()).clear();
        events.add(errorEvent(kept));
      }
    }

    /**
     * An error delivered in-band: OpenAI's error object as a {@code data:} event on chat and legacy completions,
     * an {@code error} event on the Responses API.
     */
    private String errorEvent(int sequence) {
      if (api == Api.RESPONSES) {
        ObjectNode event = JSON.createObjectNode();
        event.put("type", "error");
        event.putNull("code");
        event.put("message", response.streamErrorMessage);
        event.putNull("param");
        event.put("sequence_number", sequence);
        return "event: error\ndata: " + event + "\n\n";
      }
      ObjectNode root = JSON.createObjectNode();
      ObjectNode error = root.putObject("error");
      error.put("message", response.streamErrorMessage);
      error.put("type", response.errorType);
      error.putNull("param");
      error.putNull("code");
      return "data: " + root + "\n\n";
    }

    private void chatEvents(JsonNode request) {
      int n = Math.max(1, request.path("n").asInt(1));
      boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
      for (int index = 0; index < n; index++) {
        data(chunk(index, delta("role", "assistant", "content", ""), null));
      }
      for (String text : response.chunks) {
        for (int index = 0; index < n; index++) {
          data(chunk(index, delta("content", text), null));
        }
      }
      for (int t = 0; t < response.toolCalls.size(); t++) {
        FakeResponse.ToolCall call = response.toolCalls.get(t);
        ObjectNode open = toolDelta(t);
        open.put("id", call.id());
        open.put("type", "function");
        open.putObject("function").put("name", call.name()).put("arguments", "");
        String arguments = call.arguments();
        int half = arguments.length() / 2;
        ObjectNode first = toolDelta(t);
        first.putObject("function").put("arguments", arguments.substring(0, half));
        ObjectNode second = toolDelta(t);
        second.putObject("function").put("arguments", arguments.substring(half));
        for (ObjectNode piece : List.of(open, first, second)) {
          ObjectNode d = JSON.createObjectNode();
          d.putArray("tool_calls").add(piece);
          data(chunk(0, d, null));
        }
      }
      for (int index = 0; index < n; index++) {
        data(chunk(index, JSON.createObjectNode(), response.finishReasonOr("stop")));
      }
      if (includeUsage) {
        ObjectNode usageChunk = base("chat.completion.chunk");
        usageChunk.putArray("choices");
        usage(usageChunk, response);
        data(usageChunk.toString());
      }
      data("[DONE]");
    }

    private ObjectNode toolDelta(int index) {
      ObjectNode d = JSON.createObjectNode();
      d.put("index", index);
      return d;
    }

    private void completionEvents(JsonNode request) {
      boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
      List<String> texts = new ArrayList<>();
      texts.add("");
      texts.addAll(response.chunks);
      for (String text : texts) {
        data(completionChunk(text, null).toString());
      }
      data(completionChunk("", response.finishReasonOr("stop")).toString());
      if (includeUsage) {
        ObjectNode usageChunk = base("text_completion");
        usageChunk.putArray("choices");
        usage(usageChunk, response);
        data(usageChunk.toString());
      }
      data("[DONE]");
    }

    private ObjectNode completionChunk(String text, String finishReason) {
      ObjectNode node = base("text_completion");
      ObjectNode choice = node.putArray("choices").addObject();
      choice.put("text", text);
      choice.put("index", 0);
      choice.putNull("logprobs");
      if (finishReason == null) {
        choice.putNull("finish_reason");
      } else {
        choice.put("finish_reason", finishReason);
      }
      return node;
    }

    /** A short but complete Responses stream: one message item with the chunks as deltas. */
    private void responsesEvents(JsonNode request) {
      String responseId = "resp_fake_" + ids.incrementAndGet();
      int[] sequence = {0};
      ObjectNode created = responseObject(request, responseId, "in_progress");
      named("response.created", sequence, JSON.createObjectNode().set("response", created));
      StringBuilder text = new StringBuilder();
      for (String piece : response.chunks) {
        text.append(piece);
        named("response.output_text.delta", sequence, JSON.createObjectNode().put("item_id", "msg_fake")
            .put("output_index", 0).put("content_index", 0).put("delta", piece));
      }
      ObjectNode completed = responseObject(request, responseId, "completed");
      ObjectNode message = completed.withArray("output").addObject();
      message.put("id", "msg_fake");
      message.put("type", "message");
      message.put("status", "completed");
      message.put("role", "assistant");
      message.putArray("content").add(outputText(text.toString()));
      completed.set("usage", responsesUsage(response));
      named("response.completed", sequence, JSON.createObjectNode().set("response", completed));
    }

    private void named(String type, int[] sequence, ObjectNode fields) {
      ObjectNode event = JSON.createObjectNode();
      event.put("type", type);
      event.setAll(fields);
      event.put("sequence_number", sequence[0]++);
      events.add("event: " + type + "\ndata: " + event + "\n\n");
    }

    private void data(String payload) {
      events.add("data: " + payload + "\n\n");
    }

    void start() {
      HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
      head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
      response.headers.forEach((name, value) -> head.headers().set(name, value));
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
      if (response.dropAfterChunks >= 0 && next == response.dropAfterChunks + 1) {
        finished = true;
        closeConnection(ctx);
        return;
      }
      int holdAt = response.holdAfterChunks == FakeResponse.HOLD_BODY_END ? events.size()
          : response.holdAfterChunks + 1;
      if (response.release != null && next == holdAt && !response.release.isDone()) {
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
      String event = events.get(next++);
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

    private ObjectNode base(String object) {
      ObjectNode node = JSON.createObjectNode();
      node.put("id", id);
      node.put("object", object);
      node.put("created", System.currentTimeMillis() / 1000);
      node.put("model", model);
      return node;
    }

    private String chunk(int index, ObjectNode delta, String finishReason) {
      ObjectNode node = base("chat.completion.chunk");
      ObjectNode choice = node.putArray("choices").addObject();
      choice.put("index", index);
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
