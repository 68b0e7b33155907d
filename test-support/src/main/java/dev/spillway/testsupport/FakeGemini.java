package dev.spillway.testsupport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A fake Gemini API: {@code POST /v1beta/models/{model}:generateContent} answers a {@code GenerateContentResponse},
 * {@code :streamGenerateContent?alt=sse} the same as server-sent events (one whole response object per event, text
 * as deltas, the finish reason and usage in the last), {@code :batchEmbedContents} embeddings; errors are
 * {@code {"error":{"code","message","status"}}}. The key must arrive in {@code x-goog-api-key}; a wrong one gets
 * Gemini's 400 {@code API_KEY_INVALID}.
 */
public final class FakeGemini implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern PATH = Pattern.compile(
      "/v1beta/models/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)(\\?alt=sse)?");

  private final FakeServerSupport server;
  private final String apiKey;
  private final ConcurrentLinkedQueue<Reply> queued = new ConcurrentLinkedQueue<>();
  private final AtomicReference<Reply> fallback = new AtomicReference<>(Reply.content());
  private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();

  private FakeGemini(String apiKey) {
    this.apiKey = apiKey;
    this.server = new FakeServerSupport(this::handle);
  }

  public static FakeGemini start(String apiKey) {
    return new FakeGemini(apiKey);
  }

  /** The base URL, as a {@code gemini} provider's {@code base_url} (the API version is added by the adapter). */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.port();
  }

  public FakeGemini respondWith(Reply reply) {
    fallback.set(reply);
    return this;
  }

  public FakeGemini enqueue(Reply... replies) {
    Collections.addAll(queued, replies);
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

  public int abandonedStreams() {
    return server.abandonedStreams.get();
  }

  public int completedStreams() {
    return server.completedStreams.get();
  }

  public void reset() {
    queued.clear();
    requests.clear();
    fallback.set(Reply.content());
    server.abandonedStreams.set(0);
    server.completedStreams.set(0);
  }

  @Override
  public void close() {
    server.close();
  }

  private void handle(ChannelHandlerContext ctx, FullHttpRequest req, RecordedRequest recorded, boolean keepAlive) {
    requests.add(recorded);
    if (!apiKey.equals(recorded.header("x-goog-api-key"))) {
      error(ctx, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", keepAlive);
      return;
    }
    Matcher path = PATH.matcher(req.uri());
    if (!req.method().name().equals("POST") || !path.matches()) {
      error(ctx, 404, "NOT_FOUND", "no such method: " + req.method() + " " + req.uri(), keepAlive);
      return;
    }
    Reply next = queued.poll();
    Reply reply = next != null ? next : fallback.get();
    String method = path.group(2);
    Runnable answer = () -> answer(ctx, recorded, reply, path.group(1), method, path.group(3) != null, keepAlive);
    if (reply.delay.isZero()) {
      answer.run();
    } else {
      ctx.executor().schedule(answer, reply.delay.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private void answer(ChannelHandlerContext ctx, RecordedRequest req, Reply reply, String model, String method,
      boolean sse, boolean keepAlive) {
    if (!ctx.channel().isActive()) {
      return;
    }
    switch (reply.kind) {
      case HANG -> { }
      case ERROR -> error(ctx, reply.status, reply.errorStatus, reply.text, keepAlive);
      case CONTENT -> {
        if (method.equals("batchEmbedContents")) {
          FakeServerSupport.writeFull(ctx, 200, Map.of("content-type", "application/json"), embeddings(req),
              keepAlive);
        } else if (method.equals("streamGenerateContent") && sse) {
          server.stream(ctx, "text/event-stream", events(req, reply, model), reply.pacing, keepAlive);
        } else {
          FakeServerSupport.writeFull(ctx, 200, Map.of("content-type", "application/json; charset=UTF-8"),
              whole(req, reply, model).toString().getBytes(StandardCharsets.UTF_8), keepAlive);
        }
      }
    }
  }

  private static void error(ChannelHandlerContext ctx, int status, String errorStatus, String message,
      boolean keepAlive) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode error = body.putObject("error");
    error.put("code", status);
    error.put("message", message);
    error.put("status", errorStatus);
    FakeServerSupport.writeFull(ctx, status, Map.of("content-type", "application/json; charset=UTF-8"),
        body.toString().getBytes(StandardCharsets.UTF_8), keepAlive);
  }

  private ObjectNode whole(RecordedRequest req, Reply reply, String model) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode candidates = root.putArray("candidates");
    int count = Math.max(1, JSON.readTree(req.body()).path("generationConfig").path("candidateCount").asInt(1));
    for (int i = 0; i < count; i++) {
      ObjectNode candidate = candidates.addObject();
      ObjectNode content = candidate.putObject("content");
      ArrayNode parts = content.putArray("parts");
      String text = text(req, reply);
      if (text != null) {
        parts.addObject().put("text", count > 1 ? text + " #" + i : text);
      }
      for (FunctionCall call : reply.functionCalls) {
        parts.add(functionCallPart(call));
      }
      content.put("role", "model");
      candidate.put("finishReason", reply.finishReason);
      candidate.put("index", i);
    }
    root.set("usageMetadata", usage(reply));
    root.put("modelVersion", model);
    root.put("responseId", "fake-response-id");
    return root;
  }

  private static ObjectNode functionCallPart(FunctionCall call) {
    ObjectNode part = JSON.createObjectNode();
    ObjectNode functionCall = part.putObject("functionCall");
    functionCall.put("name", call.name);
    functionCall.set("args", JSON.readTree(call.argsJson));
    if (call.signature != null) {
      part.put("thoughtSignature", call.signature);
    }
    return part;
  }

  private static String text(RecordedRequest req, Reply reply) {
    if (reply.text != null) {
      return reply.text;
    }
    return reply.functionCalls.isEmpty() ? "Echo: " + lastUserText(req) : null;
  }

  private static ObjectNode usage(Reply reply) {
    ObjectNode usage = JSON.createObjectNode();
    usage.put("promptTokenCount", reply.promptTokens);
    usage.put("candidatesTokenCount", reply.candidateTokens);
    usage.put("totalTokenCount", reply.promptTokens + reply.candidateTokens);
    return usage;
  }

  /** SSE events: text chunk k is event k; function calls, then the finish reason and usage, come last. */
  private List<byte[]> events(RecordedRequest req, Reply reply, String model) {
    List<String> chunks = reply.chunks != null ? reply.chunks
        : reply.functionCalls.isEmpty() ? List.of("Echo: ", lastUserText(req)) : List.of();
    List<byte[]> events = new ArrayList<>();
    for (int i = 0; i < chunks.size(); i++) {
      boolean last = i == chunks.size() - 1 && reply.functionCalls.isEmpty();
      events.add(sse(streamChunk(List.of(JSON.createObjectNode().put("text", chunks.get(i))), last ? reply : null,
          model)));
    }
    if (!reply.functionCalls.isEmpty()) {
      List<ObjectNode> parts = new ArrayList<>();
      reply.functionCalls.forEach(call -> parts.add(functionCallPart(call)));
      events.add(sse(streamChunk(parts, reply, model)));
    }
    if (chunks.isEmpty() && reply.functionCalls.isEmpty()) {
      events.add(sse(streamChunk(List.of(), reply, model)));
    }
    if (reply.errorAfter >= 0) {
      List<byte[]> cut = new ArrayList<>(events.subList(0, Math.min(reply.errorAfter, events.size())));
      ObjectNode body = JSON.createObjectNode();
      ObjectNode error = body.putObject("error");
      error.put("code", 500);
      error.put("message", reply.errorMessage);
      error.put("status", "INTERNAL");
      cut.add(sse(body));
      return cut;
    }
    return events;
  }

  private static ObjectNode streamChunk(List<ObjectNode> parts, Reply finish, String model) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode candidate = root.putArray("candidates").addObject();
    ObjectNode content = candidate.putObject("content");
    ArrayNode partsNode = content.putArray("parts");
    parts.forEach(partsNode::add);
    content.put("role", "model");
    if (finish != null) {
      candidate.put("finishReason", finish.finishReason);
    }
    candidate.put("index", 0);
    root.set("usageMetadata", finish != null ? usage(finish)
        : JSON.createObjectNode().put("promptTokenCount", 1).put("totalTokenCount", 1));
    root.put("modelVersion", model);
    root.put("responseId", "fake-response-id");
    return root;
  }

  private static byte[] sse(ObjectNode event) {
    return ("data: " + event + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] embeddings(RecordedRequest req) {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode embeddings = root.putArray("embeddings");
    for (JsonNode request : JSON.readTree(req.body()).path("requests")) {
      int dimensions = request.path("outputDimensionality").asInt(4);
      String text = request.path("content").path("parts").path(0).path("text").asString("");
      ArrayNode values = embeddings.addObject().putArray("values");
      for (int i = 0; i < dimensions; i++) {
        values.add((text.length() + i) / 100.0);
      }
    }
    return root.toString().getBytes(StandardCharsets.UTF_8);
  }

  static String lastUserText(RecordedRequest req) {
    JsonNode contents = JSON.readTree(req.body()).path("contents");
    for (int i = contents.size() - 1; i >= 0; i--) {
      JsonNode c = contents.get(i);
      if ("user".equals(c.path("role").asString(""))) {
        StringBuilder text = new StringBuilder();
        c.path("parts").forEach(part -> text.append(part.path("text").asString("")));
        return text.toString();
      }
    }
    return "";
  }

  private record FunctionCall(String name, String argsJson, String signature) {}

  /** What the fake answers to one request. Fluent; each method changes and returns this. */
  public static final class Reply {
    enum Kind { CONTENT, ERROR, HANG }

    private final Kind kind;
    private int status = 200;
    private String text;
    private String errorStatus;
    private String finishReason = "STOP";
    private List<String> chunks;
    private final List<FunctionCall> functionCalls = new ArrayList<>();
    private int promptTokens = 9;
    private int candidateTokens = 5;
    private Duration delay = Duration.ZERO;
    private FakeServerSupport.Pacing pacing = FakeServerSupport.Pacing.NONE;
    private int errorAfter = -1;
    private String errorMessage;

    private Reply(Kind kind) {
      this.kind = kind;
    }

    /** A GenerateContentResponse (or its stream) that echoes the last user text, one candidate per candidateCount. */
    public static Reply content() {
      return new Reply(Kind.CONTENT);
    }

    /** Gemini's error body with this HTTP status and RPC status ({@code INVALID_ARGUMENT}, …). */
    public static Reply error(int status, String rpcStatus, String message) {
      Reply reply = new Reply(Kind.ERROR);
      reply.status = status;
      reply.errorStatus = rpcStatus;
      reply.text = message;
      return reply;
    }

    public static Reply hang() {
      return new Reply(Kind.HANG);
    }

    public Reply text(String text) {
      this.text = text;
      return this;
    }

    public Reply chunks(String... chunks) {
      this.chunks = List.of(chunks);
      return this;
    }

    public Reply functionCall(String name, String argsJson) {
      functionCalls.add(new FunctionCall(name, argsJson, null));
      return this;
    }

    /** A function call signed as Gemini 3 signs them ({@code thoughtSignature}). */
    public Reply signedFunctionCall(String name, String argsJson, String signature) {
      functionCalls.add(new FunctionCall(name, argsJson, signature));
      return this;
    }

    public Reply finishReason(String finishReason) {
      this.finishReason = finishReason;
      return this;
    }

    public Reply usage(int prompt, int candidates) {
      this.promptTokens = prompt;
      this.candidateTokens = candidates;
      return this;
    }

    public Reply delay(Duration delay) {
      this.delay = delay;
      return this;
    }

    /** After {@code events} SSE events, send nothing more until {@code release} completes. */
    public Reply holdAfter(int events, CompletableFuture<?> release) {
      pacing = new FakeServerSupport.Pacing(events, release, pacing.dropAfter(), pacing.pause(),
          pacing.splitEvents());
      return this;
    }

    public Reply dropAfter(int events) {
      pacing = new FakeServerSupport.Pacing(pacing.holdAfter(), pacing.release(), events, pacing.pause(),
          pacing.splitEvents());
      return this;
    }

    public Reply splitEvents() {
      pacing = new FakeServerSupport.Pacing(pacing.holdAfter(), pacing.release(), pacing.dropAfter(),
          pacing.pause(), true);
      return this;
    }

    /** After {@code events} events, an {@code error} event with {@code message} ends the stream. */
    public Reply errorAfter(int events, String message) {
      this.errorAfter = events;
      this.errorMessage = message;
      return this;
    }
  }
}
