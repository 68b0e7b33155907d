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
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
 * A fake Anthropic Messages API: a real HTTP/1.1 server on loopback answering {@code POST /v1/messages} and
 * {@code POST /v1/messages/count_tokens} as Anthropic's API reference shows. A {@link Reply} describes the answer's
 * content blocks (text, tool_use, thinking, redacted_thinking), stop reason and usage; it is sent as a message
 * object, or, when the request says {@code "stream": true}, as Anthropic's event sequence ({@code message_start},
 * {@code content_block_start}, {@code ping}, deltas, {@code content_block_stop}, {@code message_delta},
 * {@code message_stop}), with optional pauses, holds, drops and a mid-stream {@code error} event. Errors use
 * Anthropic's shape ({@code {"type":"error","error":{"type":…,"message":…}}}) with their statuses (529 for
 * {@code overloaded_error}). Every request is recorded.
 *
 * <p>A reply may carry response headers ({@link Reply#header(String, String)}, e.g. {@code retry-after} or
 * Anthropic's {@link Reply#rateLimits rate-limit headers}), and answers may depend on the provider key a request
 * carries ({@code x-api-key}; see {@link #respondForKey(String, Reply)}). Which answer a request gets, first match
 * wins: the next one queued for its key, the answer set for its key, the next one queued for any key, the answer to
 * every request.
 */
public final class FakeAnthropic implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final EventLoopGroup group;
  private final Channel serverChannel;
  private final ConcurrentLinkedQueue<Reply> queued = new ConcurrentLinkedQueue<>();
  private final AtomicReference<Reply> fallback = new AtomicReference<>(Reply.echo());
  private final Map<String, ConcurrentLinkedQueue<Reply>> queuedByKey = new ConcurrentHashMap<>();
  private final Map<String, Reply> byKey = new ConcurrentHashMap<>();
  private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger abandonedStreams = new AtomicInteger();
  private final AtomicInteger completedStreams = new AtomicInteger();
  private final AtomicInteger ids = new AtomicInteger();

  private FakeAnthropic() {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    serverChannel = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(16 * 1024 * 1024), new Handler());
          }
        })
        .bind("127.0.0.1", 0)
        .syncUninterruptibly()
        .channel();
  }

  /** Starts on a free port. */
  public static FakeAnthropic start() {
    return new FakeAnthropic();
  }

  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  /** The base URL as an {@code anthropic} provider is configured: without {@code /v1}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  /** The answer to every request that finds the queue empty. */
  public FakeAnthropic respondWith(Reply reply) {
    fallback.set(Objects.requireNonNull(reply));
    return this;
  }

  /** Answers for the next requests, in order. */
  public FakeAnthropic enqueue(Reply... replies) {
    Collections.addAll(queued, replies);
    return this;
  }

  /**
   * The answer to every request that carries this provider key (e.g. {@code error(401, "authentication_error", …)}),
   * ahead of the shared queue and {@link #respondWith(Reply)}; other keys are answered as before.
   */
  public FakeAnthropic respondForKey(String apiKey, Reply reply) {
    byKey.put(Objects.requireNonNull(apiKey, "apiKey"), Objects.requireNonNull(reply, "reply"));
    return this;
  }

  /** Answers for the next requests that carry this provider key, in order, ahead of everything else. */
  public FakeAnthropic enqueueForKey(String apiKey, Reply... replies) {
    Collections.addAll(queuedByKey.computeIfAbsent(Objects.requireNonNull(apiKey, "apiKey"),
        k -> new ConcurrentLinkedQueue<>()), replies);
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

  /** Streams whose client went away before {@code message_stop}. */
  public int abandonedStreams() {
    return abandonedStreams.get();
  }

  public int completedStreams() {
    return completedStreams.get();
  }

  public void reset() {
    queued.clear();
    queuedByKey.clear();
    byKey.clear();
    requests.clear();
    fallback.set(Reply.echo());
    abandonedStreams.set(0);
    completedStreams.set(0);
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
      RecordedRequest recorded = new RecordedRequest(req.method().name(), req.uri(), headers,
          req.content().toString(StandardCharsets.UTF_8));
      requests.add(recorded);
      Reply reply = replyFor(recorded.apiKey());
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      if (reply.delay.isZero()) {
        answer(ctx, recorded, reply, keepAlive);
      } else {
        ctx.executor().schedule(() -> answer(ctx, recorded, reply, keepAlive), reply.delay.toNanos(),
            TimeUnit.NANOSECONDS);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private Reply replyFor(String apiKey) {
    if (apiKey != null) {
      ConcurrentLinkedQueue<Reply> forKey = queuedByKey.get(apiKey);
      Reply next = forKey == null ? null : forKey.poll();
      if (next != null) {
        return next;
      }
      Reply set = byKey.get(apiKey);
      if (set != null) {
        return set;
      }
    }
    Reply next = queued.poll();
    return next != null ? next : fallback.get();
  }

  private void answer(ChannelHandlerContext ctx, RecordedRequest req, Reply reply, boolean keepAlive) {
    if (!ctx.channel().isActive()) {
      return;
    }
    switch (reply.kind) {
      case HANG -> { }
      case DROP -> ctx.close();
      case ERROR -> writeFull(ctx, reply.status, "application/json", errorBody(reply.errorType, reply.errorMessage),
          reply.headers, keepAlive);
      case RAW -> writeFull(ctx, reply.status, reply.contentType, reply.rawBody, reply.headers, keepAlive);
      case MESSAGE -> {
        JsonNode request = parse(req.body());
        if (req.uri().startsWith("/v1/messages/count_tokens")) {
          writeFull(ctx, 200, "application/json", "{\"input_tokens\":" + reply.inputTokens + "}", reply.headers,
              keepAlive);
        } else if (request.path("stream").asBoolean(false)) {
          new StreamWriter(ctx, request, reply, keepAlive).start();
        } else {
          writeFull(ctx, 200, "application/json", message(request, reply).toString(), reply.headers, keepAlive);
        }
      }
    }
  }

  private static void writeFull(ChannelHandlerContext ctx, int status, String contentType, String body,
      Map<String, String> headers, boolean keepAlive) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
        Unpooled.wrappedBuffer(bytes));
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
    res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    res.headers().set("request-id", "req_fake_" + System.nanoTime());
    headers.forEach((name, value) -> res.headers().set(name, value));
    if (!keepAlive) {
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    var future = ctx.writeAndFlush(res);
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
    }
  }

  static String errorBody(String type, String message) {
    ObjectNode root = JSON.createObjectNode();
    root.put("type", "error");
    root.putObject("error").put("type", type).put("message", message);
    return root.toString();
  }

  private ObjectNode message(JsonNode request, Reply reply) {
    ObjectNode root = JSON.createObjectNode();
    root.put("id", "msg_fake" + ids.incrementAndGet());
    root.put("type", "message");
    root.put("role", "assistant");
    root.put("model", request.path("model").asString("unknown"));
    ArrayNode content = root.putArray("content");
    for (Block block : reply.blocks(request)) {
      content.add(block.complete());
    }
    root.put("stop_reason", reply.stopReason);
    if (reply.stopSequence == null) {
      root.putNull("stop_sequence");
    } else {
      root.put("stop_sequence", reply.stopSequence);
    }
    root.set("usage", reply.usage(reply.outputTokens));
    return root;
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
        for (JsonNode block : content) {
          if ("text".equals(block.path("type").asString(""))) {
            text.append(block.path("text").asString(""));
          }
        }
        return text.toString();
      }
    }
    return "";
  }

  /** One content block of an answer; knows its complete form and its streamed form. */
  private record Block(String type, String text, String id, String name, String inputJson, String signature) {
    ObjectNode complete() {
      ObjectNode node = JSON.createObjectNode().put("type", type);
      switch (type) {
        case "text" -> node.put("text", text);
        case "thinking" -> node.put("thinking", text).put("signature", signature);
        case "redacted_thinking" -> node.put("data", text);
        case "tool_use" -> node.put("id", id).put("name", name).set("input", JSON.readTree(inputJson));
        default -> throw new IllegalStateException(type);
      }
      return node;
    }

    /** The block as content_block_start announces it: empty text, empty input, no signature yet. */
    ObjectNode start() {
      ObjectNode node = JSON.createObjectNode().put("type", type);
      switch (type) {
        case "text" -> node.put("text", "");
        case "thinking" -> node.put("thinking", "").put("signature", "");
        case "redacted_thinking" -> node.put("data", text);
        case "tool_use" -> node.put("id", id).put("name", name).set("input", JSON.createObjectNode());
        default -> throw new IllegalStateException(type);
      }
      return node;
    }

    /** The deltas, split the way Anthropic splits them (text by word, tool input in a few fragments). */
    List<ObjectNode> deltas() {
      List<ObjectNode> deltas = new ArrayList<>();
      switch (type) {
        case "text" -> {
          for (String piece : text.split("(?<= )")) {
            deltas.add(JSON.createObjectNode().put("type", "text_delta").put("text", piece));
          }
        }
        case "thinking" -> {
          for (String piece : text.split("(?<= )")) {
            deltas.add(JSON.createObjectNode().put("type", "thinking_delta").put("thinking", piece));
          }
          deltas.add(JSON.createObjectNode().put("type", "signature_delta").put("signature", signature));
        }
        case "tool_use" -> {
          deltas.add(JSON.createObjectNode().put("type", "input_json_delta").put("partial_json", ""));
          int third = Math.max(1, inputJson.length() / 3);
          for (int i = 0; i < inputJson.length(); i += third) {
            deltas.add(JSON.createObjectNode().put("type", "input_json_delta")
                .put("partial_json", inputJson.substring(i, Math.min(inputJson.length(), i + third))));
          }
        }
        default -> { }
      }
      return deltas;
    }
  }

  /** Writes one answer as Anthropic's event stream, event by event on the channel's event loop. */
  private final class StreamWriter {
    private final ChannelHandlerContext ctx;
    private final Reply reply;
    private final boolean keepAlive;
    private final List<String> events = new ArrayList<>();
    private int next;
    private boolean finished;

    StreamWriter(ChannelHandlerContext ctx, JsonNode request, Reply reply, boolean keepAlive) {
      this.ctx = ctx;
      this.reply = reply;
      this.keepAlive = keepAlive;
      ObjectNode message = JSON.createObjectNode();
      message.put("id", "msg_fake" + ids.incrementAndGet());
      message.put("type", "message");
      message.put("role", "assistant");
      message.put("model", request.path("model").asString("unknown"));
      message.putArray("content");
      message.putNull("stop_reason");
      message.putNull("stop_sequence");
      message.set("usage", reply.usage(1));
      add("message_start", JSON.createObjectNode().put("type", "message_start").set("message", message));
      List<Block> blocks = reply.blocks(request);
      for (int i = 0; i < blocks.size(); i++) {
        Block block = blocks.get(i);
        add("content_block_start", JSON.createObjectNode().put("type", "content_block_start").put("index", i)
            .set("content_block", block.start()));
        if (i == 0) {
          add("ping", JSON.createObjectNode().put("type", "ping"));
        }
        for (ObjectNode delta : block.deltas()) {
          add("content_block_delta", JSON.createObjectNode().put("type", "content_block_delta").put("index", i)
              .set("delta", delta));
        }
        add("content_block_stop", JSON.createObjectNode().put("type", "content_block_stop").put("index", i));
      }
      ObjectNode delta = JSON.createObjectNode().put("stop_reason", reply.stopReason);
      if (reply.stopSequence == null) {
        delta.putNull("stop_sequence");
      } else {
        delta.put("stop_sequence", reply.stopSequence);
      }
      add("message_delta", JSON.createObjectNode().put("type", "message_delta").<ObjectNode>set("delta", delta)
          .set("usage", JSON.createObjectNode().put("output_tokens", reply.outputTokens)));
      add("message_stop", JSON.createObjectNode().put("type", "message_stop"));
      if (reply.errorAfterEvents >= 0) {
        events.add(Math.min(reply.errorAfterEvents, events.size()),
            "event: error\ndata: " + errorBody(reply.errorType, reply.errorMessage) + "\n\n");
        events.subList(Math.min(reply.errorAfterEvents, events.size() - 1) + 1, events.size()).clear();
      }
    }

    private void add(String type, ObjectNode data) {
      events.add("event: " + type + "\ndata: " + data + "\n\n");
    }

    void start() {
      HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
      head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
      head.headers().set("request-id", "req_fake_" + System.nanoTime());
      reply.headers.forEach((name, value) -> head.headers().set(name, value));
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
      if (reply.dropAfterEvents >= 0 && next == reply.dropAfterEvents) {
        finished = true;
        ctx.close();
        return;
      }
      if (reply.release != null && next == reply.holdAfterEvents && !reply.release.isDone()) {
        reply.release.whenComplete((v, e) -> ctx.executor().execute(this::writeNext));
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
            if (reply.pauseBetweenEvents.isZero()) {
              writeNext();
            } else {
              ctx.executor().schedule(this::writeNext, reply.pauseBetweenEvents.toNanos(), TimeUnit.NANOSECONDS);
            }
          });
    }
  }

  /**
   * What the fake answers to one request. Immutable: every method returns a changed copy. Content blocks are kept
   * in order; without any, the answer is {@code "Echo: <last user text>"}.
   */
  public static final class Reply {
    enum Kind { MESSAGE, ERROR, RAW, HANG, DROP }

    // Set only on a fresh copy, before it is returned: a Reply never changes once a caller has it.
    private Kind kind;
    private List<Block> blocks = List.of();
    private String stopReason = "end_turn";
    private String stopSequence;
    private int inputTokens = 21;
    private int outputTokens = 9;
    private int cacheReadTokens;
    private int cacheCreationTokens;
    private int status;
    private String errorType;
    private String errorMessage;
    private String contentType;
    private String rawBody;
    private Duration delay = Duration.ZERO;
    private Duration pauseBetweenEvents = Duration.ZERO;
    private int holdAfterEvents = -1;
    private CompletableFuture<?> release;
    private int dropAfterEvents = -1;
    private int errorAfterEvents = -1;
    private Map<String, String> headers = Map.of();

    private Reply(Kind kind, int status) {
      this.kind = kind;
      this.status = status;
    }

    private Reply copy() {
      Reply c = new Reply(kind, status);
      c.blocks = blocks;
      c.stopReason = stopReason;
      c.stopSequence = stopSequence;
      c.inputTokens = inputTokens;
      c.outputTokens = outputTokens;
      c.cacheReadTokens = cacheReadTokens;
      c.cacheCreationTokens = cacheCreationTokens;
      c.errorType = errorType;
      c.errorMessage = errorMessage;
      c.contentType = contentType;
      c.rawBody = rawBody;
      c.delay = delay;
      c.pauseBetweenEvents = pauseBetweenEvents;
      c.holdAfterEvents = holdAfterEvents;
      c.release = release;
      c.dropAfterEvents = dropAfterEvents;
      c.errorAfterEvents = errorAfterEvents;
      c.headers = headers;
      return c;
    }

    /** A message whose text echoes the last user message: {@code "Echo: …"}. */
    public static Reply echo() {
      return new Reply(Kind.MESSAGE, 200);
    }

    /** A message with one text block. */
    public static Reply text(String text) {
      return echo().thenText(text);
    }

    /** A message that calls one tool, after an optional sentence, with stop reason {@code tool_use}. */
    public static Reply toolUse(String id, String name, String inputJson) {
      return echo().thenToolUse(id, name, inputJson).stopReason("tool_use");
    }

    /** An error in Anthropic's shape, e.g. {@code error(529, "overloaded_error", "Overloaded")}. */
    public static Reply error(int status, String type, String message) {
      Reply r = new Reply(Kind.ERROR, status);
      r.inputTokens = 0;
      r.outputTokens = 0;
      r.errorType = type;
      r.errorMessage = message;
      return r;
    }

    /** Any body with any status. */
    public static Reply raw(int status, String contentType, String body) {
      Reply r = new Reply(Kind.RAW, status);
      r.stopReason = null;
      r.inputTokens = 0;
      r.outputTokens = 0;
      r.contentType = contentType;
      r.rawBody = body;
      return r;
    }

    /** Reads the request and never answers. */
    public static Reply hang() {
      return new Reply(Kind.HANG, 0);
    }

    /** Closes the connection without answering. */
    public static Reply dropConnection() {
      return new Reply(Kind.DROP, 0);
    }

    /** A count_tokens answer ({@code input_tokens}); a message reply answers count_tokens with its input tokens. */
    public static Reply countTokens(int inputTokens) {
      return echo().usage(inputTokens, 0);
    }

    public Reply thenText(String text) {
      return withBlock(new Block("text", text, null, null, null, null));
    }

    public Reply thenToolUse(String id, String name, String inputJson) {
      JSON.readTree(inputJson); // fail fast on a broken fixture
      return withBlock(new Block("tool_use", null, id, name, inputJson, null));
    }

    public Reply thenThinking(String thinking, String signature) {
      return withBlock(new Block("thinking", thinking, null, null, null, signature));
    }

    public Reply thenRedactedThinking(String data) {
      return withBlock(new Block("redacted_thinking", data, null, null, null, null));
    }

    public Reply stopReason(String reason) {
      Reply c = copy();
      c.stopReason = reason;
      return c;
    }

    /** Ends with stop reason {@code stop_sequence} and names the sequence. */
    public Reply stoppedBy(String sequence) {
      Reply c = copy();
      c.stopReason = "stop_sequence";
      c.stopSequence = sequence;
      return c;
    }

    public Reply usage(int input, int output) {
      Reply c = copy();
      c.inputTokens = input;
      c.outputTokens = output;
      return c;
    }

    public Reply cache(int read, int creation) {
      Reply c = copy();
      c.cacheReadTokens = read;
      c.cacheCreationTokens = creation;
      return c;
    }

    public Reply delay(Duration delay) {
      Reply c = copy();
      c.delay = delay;
      return c;
    }

    public Reply pauseBetweenEvents(Duration pause) {
      Reply c = copy();
      c.pauseBetweenEvents = pause;
      return c;
    }

    /** After {@code sentEvents} stream events, sends nothing more until {@code release} completes. */
    public Reply holdAfter(int sentEvents, CompletableFuture<?> release) {
      Reply c = copy();
      c.holdAfterEvents = sentEvents;
      c.release = Objects.requireNonNull(release);
      return c;
    }

    /** Closes the connection abruptly after {@code sentEvents} stream events. */
    public Reply dropAfter(int sentEvents) {
      Reply c = copy();
      c.dropAfterEvents = sentEvents;
      return c;
    }

    /**
     * Sends an {@code error} event (e.g. {@code overloaded_error}) after {@code sentEvents} events, then ends. With
     * 0 the error is the stream's first event (before {@code message_start}); the first text delta is event 3
     * ({@code message_start}, {@code content_block_start}, {@code ping} come first), so {@code 3 + n} sends
     * {@code n} deltas of content and then the error.
     */
    public Reply errorEventAfter(int sentEvents, String type, String message) {
      Reply c = copy();
      c.errorAfterEvents = sentEvents;
      c.errorType = type;
      c.errorMessage = message;
      return c;
    }

    /**
     * Sends this response header too (on messages, errors, raw bodies and the head of a stream); a later value for
     * the same name replaces the earlier one. Names are sent lower-case.
     */
    public Reply header(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      Map<String, String> more = new LinkedHashMap<>(headers);
      more.put(name.toLowerCase(Locale.ROOT), value);
      Reply c = copy();
      c.headers = Collections.unmodifiableMap(more);
      return c;
    }

    /**
     * Anthropic's rate-limit headers: {@code anthropic-ratelimit-requests-remaining},
     * {@code anthropic-ratelimit-tokens-remaining} and {@code anthropic-ratelimit-requests-reset} (RFC 3339, to
     * the second, as Anthropic sends it).
     */
    public Reply rateLimits(long requestsRemaining, long tokensRemaining, Instant requestsReset) {
      return header("anthropic-ratelimit-requests-remaining", Long.toString(requestsRemaining))
          .header("anthropic-ratelimit-tokens-remaining", Long.toString(tokensRemaining))
          .header("anthropic-ratelimit-requests-reset", requestsReset.truncatedTo(ChronoUnit.SECONDS).toString());
    }

    private Reply withBlock(Block block) {
      List<Block> more = new ArrayList<>(blocks);
      more.add(block);
      Reply c = copy();
      c.blocks = List.copyOf(more);
      return c;
    }

    private List<Block> blocks(JsonNode request) {
      return blocks.isEmpty() ? List.of(new Block("text", "Echo: " + lastUserText(request), null, null, null, null))
          : blocks;
    }

    private ObjectNode usage(int output) {
      ObjectNode usage = JSON.createObjectNode();
      usage.put("input_tokens", inputTokens);
      usage.put("cache_creation_input_tokens", cacheCreationTokens);
      usage.put("cache_read_input_tokens", cacheReadTokens);
      usage.put("output_tokens", output);
      return usage;
    }
  }
}
