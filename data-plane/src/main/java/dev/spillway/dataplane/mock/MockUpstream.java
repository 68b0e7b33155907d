package dev.spillway.dataplane.mock;

import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.upstream.Upstream;
import dev.spillway.dataplane.upstream.UpstreamCall;
import dev.spillway.dataplane.upstream.UpstreamFailure;
import dev.spillway.dataplane.upstream.UpstreamListener;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The built-in {@code mock} provider: answers OpenAI chat-completion requests in process, deterministically, with
 * configurable latency, chunk count and gap between chunks. It lets the demo and load tests run without any
 * provider key or network, and it behaves like a real upstream (same listener events, same cancellation).
 *
 * <p>Tools: when a request forces a call ({@code tool_choice} {@code "required"}, or a named function), the mock
 * calls that function (the first function tool for {@code "required"}) instead of answering with text, with
 * arguments that fill each required parameter with a placeholder of its type ({@code "mock"}, {@code 0},
 * {@code false}, {@code []}, nested objects likewise, the first {@code enum} value). A request whose last message is
 * a tool result is answered with text quoting that result, so a client's tool loop ends after one round.
 *
 * <p>It also answers OpenAI embeddings requests (any path ending in {@code /embeddings}): one unit vector per
 * input, seeded by the input's SHA-256, so equal texts get equal vectors; {@code dimensions} long (default
 * {@value #DEFAULT_DIMENSIONS}), as floats or, when asked, base64 of little-endian float32 like OpenAI.
 */
public final class MockUpstream implements Upstream {
  /** Settings travel as request headers that never leave the process. */
  public static final String LATENCY_HEADER = "x-spillway-mock-latency-ms";
  public static final String CHUNKS_HEADER = "x-spillway-mock-stream-chunks";
  public static final String CHUNK_DELAY_HEADER = "x-spillway-mock-chunk-delay-ms";
  public static final String REPLY_HEADER = "x-spillway-mock-reply";

  private static final int MAX_ECHO = 200;
  static final int DEFAULT_DIMENSIONS = 384;
  private static final long MAX_EMBEDDING_VALUES = 1 << 20;
  private final AtomicLong ids = new AtomicLong();

  @Override
  public UpstreamCall call(EventLoop loop, UpstreamRequest request, UpstreamListener listener) {
    JsonNode body;
    try {
      body = Json.mapper().readTree(request.body().toString(StandardCharsets.UTF_8));
    } finally {
      request.body().release();
    }
    MockCall call = new MockCall(loop, listener, body, request);
    long latency = longHeader(request, LATENCY_HEADER, 0);
    if (latency > 0) {
      call.pending = loop.schedule(call::respond, latency, TimeUnit.MILLISECONDS);
    } else {
      loop.execute(call::respond);
    }
    return call;
  }

  private static long longHeader(UpstreamRequest request, String name, long fallback) {
    String value = request.headers().get(name);
    try {
      return value == null ? fallback : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /**
   * The deterministic answer: a greeting and an echo of the last user message, or, when the last message is a tool
   * result, a quote of that result.
   */
  static String reply(JsonNode request, String configured) {
    if (configured != null && !configured.isEmpty()) {
      return configured;
    }
    JsonNode messages = request.path("messages");
    JsonNode last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
    if (last != null && "tool".equals(last.path("role").asString(""))) {
      return "Hello from Spillway's mock provider. The tool answered: " + truncate(text(last.path("content")));
    }
    String said = truncate(lastUserText(request));
    return said.isEmpty() ? "Hello from Spillway's mock provider."
        : "Hello from Spillway's mock provider. You said: " + said;
  }

  private static String truncate(String text) {
    return text.length() > MAX_ECHO ? text.substring(0, MAX_ECHO) + "…" : text;
  }

  /**
   * The function definition ({@code {name, parameters, …}}) the request forces the model to call, or null: with
   * {@code tool_choice} {@code "required"} the first function tool, with a named function that one. Never when the
   * last message is a tool result: the mock calls at most once per turn.
   */
  static JsonNode forcedFunction(JsonNode request) {
    JsonNode tools = request.path("tools");
    JsonNode messages = request.path("messages");
    if (!tools.isArray() || tools.isEmpty()
        || (!messages.isEmpty() && "tool".equals(messages.get(messages.size() - 1).path("role").asString("")))) {
      return null;
    }
    JsonNode choice = request.path("tool_choice");
    String name;
    if (choice.isString() && choice.asString().equals("required")) {
      name = null;
    } else if (choice.isObject() && "function".equals(choice.path("type").asString(""))) {
      name = choice.path("function").path("name").asString("");
    } else {
      return null;
    }
    for (JsonNode tool : tools) {
      JsonNode function = tool.path("function");
      if ("function".equals(tool.path("type").asString("")) && function.path("name").isString()
          && (name == null || name.equals(function.path("name").asString()))) {
        return function;
      }
    }
    return null;
  }

  /** Arguments for a forced call: every required property of {@code schema}, a placeholder of its type each. */
  static ObjectNode placeholderArguments(JsonNode schema) {
    ObjectNode arguments = Json.object();
    JsonNode properties = schema.path("properties");
    for (JsonNode required : schema.path("required")) {
      String name = required.asString("");
      JsonNode property = properties.path(name);
      JsonNode choices = property.path("enum");
      JsonNode type = property.path("type");
      String kind = type.isArray() ? type.path(0).asString("string") : type.asString("string");
      if (choices.isArray() && !choices.isEmpty()) {
        arguments.set(name, choices.get(0).deepCopy());
      } else if (property.has("const")) {
        arguments.set(name, property.get("const").deepCopy());
      } else {
        switch (kind) {
          case "integer", "number" -> arguments.put(name, 0);
          case "boolean" -> arguments.put(name, false);
          case "array" -> arguments.putArray(name);
          case "object" -> arguments.set(name, placeholderArguments(property));
          case "null" -> arguments.putNull(name);
          default -> arguments.put(name, "mock");
        }
      }
    }
    return arguments;
  }

  /** A message content's text: the string, or its text parts joined. */
  private static String text(JsonNode content) {
    if (content.isString()) {
      return content.asString();
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode part : content) {
      if ("text".equals(part.path("type").asString(""))) {
        text.append(part.path("text").asString(""));
      }
    }
    return text.toString();
  }

  static String lastUserText(JsonNode request) {
    JsonNode messages = request.path("messages");
    for (int i = messages.size() - 1; i >= 0; i--) {
      JsonNode message = messages.get(i);
      if ("user".equals(message.path("role").asString(""))) {
        JsonNode content = message.path("content");
        if (content.isString()) {
          return content.asString();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
          if ("text".equals(part.path("type").asString(""))) {
            text.append(part.path("text").asString(""));
          }
        }
        return text.toString();
      }
    }
    return "";
  }

  /** An OpenAI embeddings list for {@code request}: deterministic unit vectors, usage counted roughly. */
  static ObjectNode embeddings(JsonNode request) {
    JsonNode input = request.path("input");
    List<String> texts = new ArrayList<>();
    if (input.isArray()) {
      input.forEach(element -> texts.add(element.isString() ? element.asString() : element.toString()));
    } else {
      texts.add(input.asString(input.toString()));
    }
    int dimensions = request.path("dimensions").asInt(DEFAULT_DIMENSIONS);
    boolean base64 = "base64".equals(request.path("encoding_format").asString(""));
    ObjectNode root = Json.object();
    root.put("object", "list");
    ArrayNode data = root.putArray("data");
    int tokens = 0;
    for (int i = 0; i < texts.size(); i++) {
      float[] vector = unitVector(texts.get(i), dimensions);
      ObjectNode item = data.addObject();
      item.put("object", "embedding");
      item.put("index", i);
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
      tokens += roughTokens(texts.get(i));
    }
    root.put("model", request.path("model").asString("mock"));
    root.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
    return root;
  }

  /** A unit vector seeded by the text's SHA-256: the same text always maps to the same vector. */
  static float[] unitVector(String text, int dimensions) {
    byte[] hash;
    try {
      hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    SplittableRandom random = new SplittableRandom(ByteBuffer.wrap(hash).getLong());
    double[] raw = new double[dimensions];
    double norm = 0;
    for (int i = 0; i < dimensions; i++) {
      raw[i] = random.nextGaussian();
      norm += raw[i] * raw[i];
    }
    norm = Math.sqrt(norm);
    float[] vector = new float[dimensions];
    for (int i = 0; i < dimensions; i++) {
      vector[i] = (float) (raw[i] / norm);
    }
    return vector;
  }

  /** A rough token count (four characters per token) so usage numbers are plausible and stable. */
  static int roughTokens(String text) {
    return Math.max(1, (text.length() + 3) / 4);
  }

  private final class MockCall implements UpstreamCall {
    private final EventLoop loop;
    private final UpstreamListener listener;
    private final JsonNode body;
    private final UpstreamRequest request;
    private ScheduledFuture<?> pending;
    private boolean cancelled;
    private boolean reading = true;
    private Runnable resume;

    MockCall(EventLoop loop, UpstreamListener listener, JsonNode body, UpstreamRequest request) {
      this.loop = loop;
      this.listener = listener;
      this.body = body;
      this.request = request;
    }

    void respond() {
      if (cancelled) {
        return;
      }
      try {
        answer();
      } catch (RuntimeException e) {
        cancelled = true;
        listener.onFailure(new UpstreamFailure(UpstreamFailure.Kind.IO, "mock provider failed: " + e, true));
      }
    }

    private void answer() {
      if (request.uri().getPath().endsWith("/embeddings")) {
        long values = (long) Math.max(1, body.path("input").size()) * body.path("dimensions").asInt(DEFAULT_DIMENSIONS);
        boolean tooMany = values > MAX_EMBEDDING_VALUES;
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, tooMany
            ? HttpResponseStatus.BAD_REQUEST : HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        listener.onHead(head);
        if (!cancelled) {
          // The mock runs inside the node: it refuses answers big enough to hurt it.
          ObjectNode answer = tooMany ? Json.object().set("error", Json.object().put("message",
              "the mock provider answers at most " + MAX_EMBEDDING_VALUES + " embedding values per request"))
              : embeddings(body);
          listener.onContent(Unpooled.wrappedBuffer(Json.bytes(answer)));
        }
        if (!cancelled) {
          listener.onEnd();
        }
        return;
      }
      String model = body.path("model").asString("mock");
      JsonNode function = forcedFunction(body);
      ToolCall toolCall = function == null ? null : new ToolCall("call_mock_" + ids.incrementAndGet(),
          function.path("name").asString(), Json.mapper().writeValueAsString(
              placeholderArguments(function.path("parameters"))));
      String text = toolCall != null ? null : reply(body, request.headers().get(REPLY_HEADER));
      int promptTokens = roughTokens(body.path("messages").toString());
      int completionTokens = roughTokens(toolCall != null ? toolCall.name() + toolCall.arguments() : text);
      String id = "chatcmpl-mock-" + ids.incrementAndGet();
      long created = System.currentTimeMillis() / 1000;
      if (body.path("stream").asBoolean(false)) {
        boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
        List<String> events = toolCall != null
            ? toolCallEvents(id, created, model, toolCall, promptTokens, completionTokens, includeUsage)
            : streamEvents(id, created, model, text, promptTokens, completionTokens, includeUsage);
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
        listener.onHead(head);
        sendEvents(events, 0, longHeader(request, CHUNK_DELAY_HEADER, 0));
      } else {
        ObjectNode root = Json.object();
        root.put("id", id);
        root.put("object", "chat.completion");
        root.put("created", created);
        root.put("model", model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", text);
        if (toolCall != null) {
          message.putArray("tool_calls").add(toolCall.json(-1));
        }
        choice.put("finish_reason", toolCall != null ? "tool_calls" : "stop");
        usage(root.putObject("usage"), promptTokens, completionTokens);
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        listener.onHead(head);
        if (!cancelled) {
          listener.onContent(Unpooled.wrappedBuffer(Json.bytes(root)));
        }
        if (!cancelled) {
          listener.onEnd();
        }
      }
    }

    private void sendEvents(List<String> events, int index, long gapMs) {
      if (cancelled) {
        return;
      }
      if (!reading) {
        resume = () -> sendEvents(events, index, gapMs);
        return;
      }
      if (index == events.size()) {
        listener.onEnd();
        return;
      }
      ByteBuf chunk = Unpooled.copiedBuffer("data: " + events.get(index) + "\n\n", StandardCharsets.UTF_8);
      listener.onContent(chunk);
      if (gapMs > 0 && index + 1 < events.size()) {
        pending = loop.schedule(() -> sendEvents(events, index + 1, gapMs), gapMs, TimeUnit.MILLISECONDS);
      } else {
        sendEvents(events, index + 1, gapMs);
      }
    }

    private List<String> streamEvents(String id, long created, String model, String text, int promptTokens,
        int completionTokens, boolean includeUsage) {
      // One chunk per word unless the provider's stream_chunks setting says otherwise.
      long configured = longHeader(request, CHUNKS_HEADER, 0);
      List<String> pieces = split(text, configured > 0 ? (int) configured : Integer.MAX_VALUE);
      List<String> events = new ArrayList<>(pieces.size() + 4);
      events.add(chunk(id, created, model, delta("role", "assistant", "content", ""), null));
      for (String piece : pieces) {
        events.add(chunk(id, created, model, delta("content", piece), null));
      }
      events.add(chunk(id, created, model, Json.object(), "stop"));
      if (includeUsage) {
        ObjectNode usageChunk = base(id, created, model);
        usageChunk.putArray("choices");
        usage(usageChunk.putObject("usage"), promptTokens, completionTokens);
        events.add(Json.mapper().writeValueAsString(usageChunk));
      }
      events.add("[DONE]");
      return events;
    }

    /** A forced tool call as a stream: the role, the call's id and name, its arguments, the finish reason. */
    private List<String> toolCallEvents(String id, long created, String model, ToolCall call, int promptTokens,
        int completionTokens, boolean includeUsage) {
      List<String> events = new ArrayList<>(6);
      events.add(chunk(id, created, model, delta("role", "assistant"), null));
      ObjectNode open = call.json(0);
      ((ObjectNode) open.get("function")).put("arguments", "");
      ObjectNode opening = Json.object();
      opening.putArray("tool_calls").add(open);
      events.add(chunk(id, created, model, opening, null));
      ObjectNode arguments = Json.object();
      ObjectNode piece = arguments.putArray("tool_calls").addObject();
      piece.put("index", 0);
      piece.putObject("function").put("arguments", call.arguments());
      events.add(chunk(id, created, model, arguments, null));
      events.add(chunk(id, created, model, Json.object(), "tool_calls"));
      if (includeUsage) {
        ObjectNode usageChunk = base(id, created, model);
        usageChunk.putArray("choices");
        usage(usageChunk.putObject("usage"), promptTokens, completionTokens);
        events.add(Json.mapper().writeValueAsString(usageChunk));
      }
      events.add("[DONE]");
      return events;
    }

    @Override
    public void cancel() {
      if (!loop.inEventLoop()) {
        loop.execute(this::cancel);
        return;
      }
      cancelled = true;
      if (pending != null) {
        pending.cancel(false);
      }
    }

    @Override
    public void setReading(boolean reading) {
      this.reading = reading;
      if (reading && resume != null) {
        Runnable r = resume;
        resume = null;
        loop.execute(r);
      }
    }
  }

  /** A tool call the mock makes. */
  private record ToolCall(String id, String name, String arguments) {
    /** As in a message's {@code tool_calls}; with {@code index} ≥ 0 as in a stream delta. */
    ObjectNode json(int index) {
      ObjectNode call = Json.object();
      if (index >= 0) {
        call.put("index", index);
      }
      call.put("id", id);
      call.put("type", "function");
      call.putObject("function").put("name", name).put("arguments", arguments);
      return call;
    }
  }

  private static List<String> split(String text, int count) {
    List<String> pieces = new ArrayList<>();
    String[] words = text.split("(?<= )");
    if (count >= words.length) {
      for (String w : words) {
        pieces.add(w);
      }
      return pieces;
    }
    int perPiece = (words.length + count - 1) / count;
    for (int i = 0; i < words.length; i += perPiece) {
      StringBuilder sb = new StringBuilder();
      for (int j = i; j < Math.min(words.length, i + perPiece); j++) {
        sb.append(words[j]);
      }
      pieces.add(sb.toString());
    }
    return pieces;
  }

  private static ObjectNode base(String id, long created, String model) {
    ObjectNode node = Json.object();
    node.put("id", id);
    node.put("object", "chat.completion.chunk");
    node.put("created", created);
    node.put("model", model);
    return node;
  }

  private static String chunk(String id, long created, String model, ObjectNode delta, String finishReason) {
    ObjectNode node = base(id, created, model);
    ArrayNode choices = node.putArray("choices");
    ObjectNode choice = choices.addObject();
    choice.put("index", 0);
    choice.set("delta", delta);
    if (finishReason == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finishReason);
    }
    return Json.mapper().writeValueAsString(node);
  }

  private static ObjectNode delta(String... keyValues) {
    ObjectNode delta = Json.object();
    for (int i = 0; i < keyValues.length; i += 2) {
      delta.put(keyValues[i], keyValues[i + 1]);
    }
    return delta;
  }

  private static void usage(ObjectNode usage, int promptTokens, int completionTokens) {
    usage.put("prompt_tokens", promptTokens);
    usage.put("completion_tokens", completionTokens);
    usage.put("total_tokens", promptTokens + completionTokens);
  }
}
