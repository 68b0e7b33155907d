package dev.spillway.testsupport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.AwsSessionCredentialsIdentity;
import software.amazon.eventstream.HeaderValue;
import software.amazon.eventstream.Message;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A fake Amazon Bedrock runtime: {@code POST /model/{modelId}/converse} answers Converse JSON and
 * {@code …/converse-stream} answers binary AWS event-stream frames (written with the {@code eventstream} library's
 * {@link Message#encode}), as the public API reference shows them; errors are {@code {"message": …}} with
 * {@code x-amzn-ErrorType}.
 *
 * <p>Every request's SigV4 {@code Authorization} is checked the way AWS does: the fake knows the secret, re-signs
 * the request it received (method, path, the signed headers, the body bytes, the {@code X-Amz-Date}) with the same
 * AWS signer and compares; a mismatch is a 403 {@code InvalidSignatureException}. A Bedrock API key
 * ({@code Authorization: Bearer}) is compared with the one given to {@link #acceptApiKey}.
 */
public final class FakeBedrock implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern AUTHORIZATION = Pattern.compile(
      "AWS4-HMAC-SHA256 Credential=([^/]+)/(\\d{8})/([^/]+)/([^/]+)/aws4_request, SignedHeaders=([^,]+), "
          + "Signature=([0-9a-f]{64})");
  private static final Pattern MODEL_PATH = Pattern.compile("/model/([^/]+)/(converse|converse-stream)");

  private final FakeServerSupport server;
  private final String accessKeyId;
  private final String secretAccessKey;
  private final String region;
  private volatile String apiKey;
  private final ConcurrentLinkedQueue<Reply> queued = new ConcurrentLinkedQueue<>();
  private final AtomicReference<Reply> fallback = new AtomicReference<>(Reply.converse());
  private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
  private final List<String> authFailures = new CopyOnWriteArrayList<>();

  private FakeBedrock(String accessKeyId, String secretAccessKey, String region) {
    this.accessKeyId = accessKeyId;
    this.secretAccessKey = secretAccessKey;
    this.region = region;
    this.server = new FakeServerSupport(this::handle);
  }

  /** A fake that accepts requests signed for {@code region} with these credentials. */
  public static FakeBedrock start(String accessKeyId, String secretAccessKey, String region) {
    return new FakeBedrock(accessKeyId, secretAccessKey, region);
  }

  /** Also accept {@code Authorization: Bearer <apiKey>} (a Bedrock API key). */
  public FakeBedrock acceptApiKey(String apiKey) {
    this.apiKey = apiKey;
    return this;
  }

  /** The base URL, as a {@code bedrock} provider's {@code base_url}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.port();
  }

  public FakeBedrock respondWith(Reply reply) {
    fallback.set(reply);
    return this;
  }

  public FakeBedrock enqueue(Reply... replies) {
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

  /** Why requests were refused as unauthenticated (bad or missing signature, wrong key), in order. */
  public List<String> authFailures() {
    return List.copyOf(authFailures);
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
    authFailures.clear();
    fallback.set(Reply.converse());
    server.abandonedStreams.set(0);
    server.completedStreams.set(0);
  }

  @Override
  public void close() {
    server.close();
  }

  // ---------------------------------------------------------------- request handling

  private void handle(ChannelHandlerContext ctx, FullHttpRequest req, RecordedRequest recorded, boolean keepAlive) {
    requests.add(recorded);
    byte[] body = new byte[req.content().readableBytes()];
    req.content().getBytes(req.content().readerIndex(), body);
    String authProblem = checkAuth(recorded, body);
    if (authProblem != null) {
      authFailures.add(authProblem);
      boolean signature = authProblem.startsWith("signature");
      error(ctx, 403, signature ? "InvalidSignatureException" : "AccessDeniedException", signature
          ? "The request signature we calculated does not match the signature you provided. " + authProblem
          : authProblem, keepAlive);
      return;
    }
    Matcher path = MODEL_PATH.matcher(req.uri());
    if (!req.method().name().equals("POST") || !path.matches()) {
      error(ctx, 404, "UnknownOperationException", "no such operation: " + req.method() + " " + req.uri(),
          keepAlive);
      return;
    }
    Reply next = queued.poll();
    Reply reply = next != null ? next : fallback.get();
    boolean stream = path.group(2).equals("converse-stream");
    Runnable answer = () -> answer(ctx, recorded, reply, stream, keepAlive);
    if (reply.delay.isZero()) {
      answer.run();
    } else {
      ctx.executor().schedule(answer, reply.delay.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }
  }

  private void answer(ChannelHandlerContext ctx, RecordedRequest req, Reply reply, boolean stream,
      boolean keepAlive) {
    if (!ctx.channel().isActive()) {
      return;
    }
    switch (reply.kind) {
      case HANG -> { }
      case ERROR -> error(ctx, reply.status, reply.errorType, reply.text, keepAlive);
      case RAW -> FakeServerSupport.writeFull(ctx, reply.status, Map.of("content-type", "application/json"),
          reply.text.getBytes(StandardCharsets.UTF_8), keepAlive);
      case CONVERSE -> {
        if (stream) {
          server.stream(ctx, "application/vnd.amazon.eventstream", frames(req, reply), reply.pacing, keepAlive);
        } else {
          FakeServerSupport.writeFull(ctx, 200, Map.of("content-type", "application/json",
              "x-amzn-requestid", "fake-request-id"), converseBody(req, reply), keepAlive);
        }
      }
    }
  }

  private static void error(ChannelHandlerContext ctx, int status, String type, String message, boolean keepAlive) {
    ObjectNode body = JSON.createObjectNode();
    body.put("message", message);
    FakeServerSupport.writeFull(ctx, status, Map.of("content-type", "application/json", "x-amzn-errortype",
        type + ":http://internal.amazon.com/coral/com.amazon.bedrock/"), body.toString()
        .getBytes(StandardCharsets.UTF_8), keepAlive);
  }

  /** Null when the request is authenticated, else why not. */
  private String checkAuth(RecordedRequest req, byte[] body) {
    String authorization = req.header("authorization");
    if (authorization == null) {
      return "missing Authorization header";
    }
    if (authorization.startsWith("Bearer ")) {
      return apiKey != null && authorization.equals("Bearer " + apiKey) ? null : "the API key is not valid";
    }
    Matcher m = AUTHORIZATION.matcher(authorization);
    if (!m.matches()) {
      return "signature: malformed Authorization header";
    }
    if (!m.group(1).equals(accessKeyId)) {
      return "the security token included in the request is invalid (unknown access key id)";
    }
    if (!m.group(3).equals(region) || !m.group(4).equals("bedrock")) {
      return "signature: credential scope " + m.group(3) + "/" + m.group(4) + " (expected " + region + "/bedrock)";
    }
    String date = req.header("x-amz-date");
    if (date == null || !date.startsWith(m.group(2))) {
      return "signature: X-Amz-Date missing or not the credential's date";
    }
    List<String> signedHeaders = List.of(m.group(5).split(";"));
    if (!signedHeaders.contains("host") || !signedHeaders.contains("x-amz-date")) {
      return "signature: host and x-amz-date must be signed";
    }
    String token = req.header("x-amz-security-token");
    if (token != null && !signedHeaders.contains("x-amz-security-token")) {
      return "signature: x-amz-security-token must be signed";
    }
    String expected = resign(req, body, signedHeaders, date, token);
    return expected.equals(authorization) ? null : "signature: mismatch";
  }

  /** The Authorization header the same AWS signer computes for what arrived. */
  private String resign(RecordedRequest req, byte[] body, List<String> signedHeaders, String date, String token) {
    SdkHttpFullRequest.Builder request = SdkHttpFullRequest.builder().method(SdkHttpMethod.POST)
        .uri(URI.create("http://" + req.header("host") + req.uri()));
    for (String name : signedHeaders) {
      if (!name.equals("host") && !name.equals("x-amz-date") && !name.equals("x-amz-security-token")
          && req.header(name) != null) {
        request.putHeader(name, req.header(name));
      }
    }
    AwsCredentialsIdentity identity = token == null ? AwsCredentialsIdentity.create(accessKeyId, secretAccessKey)
        : AwsSessionCredentialsIdentity.create(accessKeyId, secretAccessKey, token);
    Clock clock = Clock.fixed(LocalDateTime.parse(date, DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'"))
        .toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
    SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r
        .identity(identity)
        .request(request.build())
        .payload(ContentStreamProvider.fromByteArray(body))
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "bedrock")
        .putProperty(AwsV4HttpSigner.REGION_NAME, region)
        .putProperty(HttpSigner.SIGNING_CLOCK, clock));
    return signed.request().firstMatchingHeader("Authorization").orElse("");
  }

  // ---------------------------------------------------------------- answers

  private byte[] converseBody(RecordedRequest req, Reply reply) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode message = root.putObject("output").putObject("message");
    message.put("role", "assistant");
    ArrayNode content = message.putArray("content");
    if (reply.reasoning != null) {
      ObjectNode text = content.addObject().putObject("reasoningContent").putObject("reasoningText");
      text.put("text", reply.reasoning);
      text.put("signature", "fake-signature");
    }
    String text = reply.text != null ? reply.text : reply.toolUses.isEmpty() ? "Echo: " + lastUserText(req) : null;
    if (text != null) {
      content.addObject().put("text", text);
    }
    for (ToolUse toolUse : reply.toolUses) {
      ObjectNode block = content.addObject().putObject("toolUse");
      block.put("toolUseId", toolUse.id);
      block.put("name", toolUse.name);
      block.set("input", JSON.readTree(toolUse.inputJson));
    }
    root.put("stopReason", reply.stopReason != null ? reply.stopReason
        : reply.toolUses.isEmpty() ? "end_turn" : "tool_use");
    root.set("usage", usage(reply));
    root.putObject("metrics").put("latencyMs", 12);
    return root.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static ObjectNode usage(Reply reply) {
    ObjectNode usage = JSON.createObjectNode();
    usage.put("inputTokens", reply.inputTokens);
    usage.put("outputTokens", reply.outputTokens);
    usage.put("totalTokens", reply.inputTokens + reply.outputTokens + reply.cacheReadTokens);
    if (reply.cacheReadTokens > 0) {
      usage.put("cacheReadInputTokens", reply.cacheReadTokens);
    }
    return usage;
  }

  /** The ConverseStream events, one frame each: event 0 is messageStart, text chunk k is event k + 1. */
  private List<byte[]> frames(RecordedRequest req, Reply reply) {
    List<byte[]> frames = new ArrayList<>();
    frames.add(event("messageStart", JSON.createObjectNode().put("role", "assistant")));
    List<String> chunks = reply.chunks != null ? reply.chunks
        : reply.toolUses.isEmpty() ? List.of("Echo: ", lastUserText(req)) : List.of();
    int block = 0;
    for (String chunk : chunks) {
      ObjectNode delta = JSON.createObjectNode();
      delta.put("contentBlockIndex", block);
      delta.putObject("delta").put("text", chunk);
      frames.add(event("contentBlockDelta", delta));
    }
    if (!chunks.isEmpty()) {
      frames.add(event("contentBlockStop", JSON.createObjectNode().put("contentBlockIndex", block++)));
    }
    for (ToolUse toolUse : reply.toolUses) {
      ObjectNode start = JSON.createObjectNode();
      start.put("contentBlockIndex", block);
      ObjectNode tool = start.putObject("start").putObject("toolUse");
      tool.put("toolUseId", toolUse.id);
      tool.put("name", toolUse.name);
      frames.add(event("contentBlockStart", start));
      String input = toolUse.inputJson;
      int half = input.length() / 2;
      for (String piece : new String[] {input.substring(0, half), input.substring(half)}) {
        ObjectNode delta = JSON.createObjectNode();
        delta.put("contentBlockIndex", block);
        delta.putObject("delta").putObject("toolUse").put("input", piece);
        frames.add(event("contentBlockDelta", delta));
      }
      frames.add(event("contentBlockStop", JSON.createObjectNode().put("contentBlockIndex", block++)));
    }
    if (reply.exceptionAfter >= 0) {
      List<byte[]> cut = new ArrayList<>(frames.subList(0, Math.min(reply.exceptionAfter, frames.size())));
      cut.add(exception(reply.errorType, reply.exceptionMessage));
      return cut;
    }
    frames.add(event("messageStop", JSON.createObjectNode().put("stopReason", reply.stopReason != null
        ? reply.stopReason : reply.toolUses.isEmpty() ? "end_turn" : "tool_use")));
    ObjectNode metadata = JSON.createObjectNode();
    metadata.set("usage", usage(reply));
    metadata.putObject("metrics").put("latencyMs", 12);
    frames.add(event("metadata", metadata));
    return frames;
  }

  /** One event-stream frame as Bedrock writes it (with its {@code p} padding field). */
  public static byte[] event(String type, ObjectNode payload) {
    payload.put("p", "abcdefghijklmnopqrstuvwxyz".substring(0, 1 + Math.abs(type.hashCode()) % 20));
    Map<String, HeaderValue> headers = new LinkedHashMap<>();
    headers.put(":event-type", HeaderValue.fromString(type));
    headers.put(":content-type", HeaderValue.fromString("application/json"));
    headers.put(":message-type", HeaderValue.fromString("event"));
    return encode(new Message(headers, payload.toString().getBytes(StandardCharsets.UTF_8)));
  }

  /** An exception frame, as ConverseStream sends when the model fails mid-stream. */
  public static byte[] exception(String type, String message) {
    Map<String, HeaderValue> headers = new LinkedHashMap<>();
    headers.put(":exception-type", HeaderValue.fromString(type));
    headers.put(":content-type", HeaderValue.fromString("application/json"));
    headers.put(":message-type", HeaderValue.fromString("exception"));
    return encode(new Message(headers, JSON.createObjectNode().put("message", message).toString()
        .getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] encode(Message message) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    message.encode(out);
    return out.toByteArray();
  }

  static String lastUserText(RecordedRequest req) {
    JsonNode messages = JSON.readTree(req.body()).path("messages");
    for (int i = messages.size() - 1; i >= 0; i--) {
      JsonNode m = messages.get(i);
      if ("user".equals(m.path("role").asString(""))) {
        StringBuilder text = new StringBuilder();
        m.path("content").forEach(block -> text.append(block.path("text").asString("")));
        return text.toString();
      }
    }
    return "";
  }

  private record ToolUse(String id, String name, String inputJson) {}

  /** What the fake answers to one request. Fluent; each {@code with}-style method changes and returns this. */
  public static final class Reply {
    enum Kind { CONVERSE, ERROR, RAW, HANG }

    private final Kind kind;
    private int status = 200;
    private String text;
    private String errorType;
    private String reasoning;
    private String stopReason;
    private List<String> chunks;
    private final List<ToolUse> toolUses = new ArrayList<>();
    private int inputTokens = 12;
    private int outputTokens = 7;
    private int cacheReadTokens;
    private Duration delay = Duration.ZERO;
    private FakeServerSupport.Pacing pacing = FakeServerSupport.Pacing.NONE;
    private int exceptionAfter = -1;
    private String exceptionMessage;

    private Reply(Kind kind) {
      this.kind = kind;
    }

    /** A Converse answer (or, to a converse-stream request, the same as events); echoes the last user text. */
    public static Reply converse() {
      return new Reply(Kind.CONVERSE);
    }

    /** A Bedrock error: {@code {"message": …}} with {@code x-amzn-ErrorType: <type>}. */
    public static Reply error(int status, String type, String message) {
      Reply reply = new Reply(Kind.ERROR);
      reply.status = status;
      reply.errorType = type;
      reply.text = message;
      return reply;
    }

    public static Reply raw(int status, String json) {
      Reply reply = new Reply(Kind.RAW);
      reply.status = status;
      reply.text = json;
      return reply;
    }

    /** Reads the request and never answers. */
    public static Reply hang() {
      return new Reply(Kind.HANG);
    }

    public Reply text(String text) {
      this.text = text;
      return this;
    }

    /** The streamed text, one contentBlockDelta each. */
    public Reply chunks(String... chunks) {
      this.chunks = List.of(chunks);
      return this;
    }

    public Reply toolUse(String id, String name, String inputJson) {
      toolUses.add(new ToolUse(id, name, inputJson));
      return this;
    }

    /** A reasoningContent block (with a signature) before the text. */
    public Reply reasoning(String reasoning) {
      this.reasoning = reasoning;
      return this;
    }

    public Reply stopReason(String stopReason) {
      this.stopReason = stopReason;
      return this;
    }

    public Reply usage(int input, int output, int cacheRead) {
      this.inputTokens = input;
      this.outputTokens = output;
      this.cacheReadTokens = cacheRead;
      return this;
    }

    public Reply delay(Duration delay) {
      this.delay = delay;
      return this;
    }

    /** After {@code events} event-stream frames, send nothing more until {@code release} completes. */
    public Reply holdAfter(int events, CompletableFuture<?> release) {
      pacing = new FakeServerSupport.Pacing(events, release, pacing.dropAfter(), pacing.pause(),
          pacing.splitEvents());
      return this;
    }

    /** Close the connection after {@code events} frames. */
    public Reply dropAfter(int events) {
      pacing = new FakeServerSupport.Pacing(pacing.holdAfter(), pacing.release(), events, pacing.pause(),
          pacing.splitEvents());
      return this;
    }

    /** Write each frame in two halves, flushed apart, so the gateway must join them. */
    public Reply splitFrames() {
      pacing = new FakeServerSupport.Pacing(pacing.holdAfter(), pacing.release(), pacing.dropAfter(),
          pacing.pause(), true);
      return this;
    }

    /** After {@code events} frames, an exception frame ({@code :message-type exception}) ends the stream. */
    public Reply exceptionAfter(int events, String type, String message) {
      this.exceptionAfter = events;
      this.errorType = type;
      this.exceptionMessage = message;
      return this;
    }
  }

  @Override
  public String toString() {
    return "FakeBedrock[" + baseUrl() + ", region=" + region.toLowerCase(Locale.ROOT) + "]";
  }
}
