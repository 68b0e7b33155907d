package dev.spillway.testsupport;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * What a {@link FakeProvider} answers to one request. Immutable; the {@code with…} style methods return copies.
 *
 * <p>{@link #chat()} and {@link #stream()} answer in the shape of the API the request was sent to, as OpenAI
 * would: chat completions, legacy completions ({@code …/completions}), the Responses API ({@code …/responses},
 * streamed as named events with sequence numbers) and embeddings ({@code …/embeddings}: deterministic vectors,
 * {@code dimensions} long or 8, base64 when the request asks for it). Chat answers honour the request's {@code n}.
 */
public final class FakeResponse {
  enum Kind { CHAT, STREAM, ERROR, RAW, HANG, DROP, REFUSE }

  /** One function call the fake model makes. */
  public record ToolCall(String id, String name, String arguments) {
    public ToolCall {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(arguments, "arguments");
    }
  }

  Kind kind;
  int status;
  String content;
  String contentType;
  Duration delay = Duration.ZERO;
  List<String> chunks = List.of();
  Duration pauseBetweenChunks = Duration.ZERO;
  /** {@link #holdAfterChunks} value of {@link #holdBodyEnd}. */
  static final int HOLD_BODY_END = Integer.MIN_VALUE;
  int holdAfterChunks = -1;
  CompletableFuture<?> release;
  int promptTokens = 12;
  int completionTokens = 7;
  String errorType;
  int dropAfterChunks = -1;
  List<ToolCall> toolCalls = List.of();
  String finishReason;
  /** The model the answer names instead of the one asked for; null names the one asked for. */
  String reportedModel;
  boolean goAwayFirst;
  /** Extra response headers, names lower-case, in the order set. */
  Map<String, String> headers = Map.of();
  /** After this many content chunks of a stream, an in-band error event ends it; -1 for none. */
  int errorEventAfterChunks = -1;
  /** The in-band error event comes before every other event, the stream's opening one included. */
  boolean errorEventFirst;
  String streamErrorMessage;

  private FakeResponse(Kind kind, int status) {
    this.kind = kind;
    this.status = status;
  }

  private FakeResponse copy() {
    FakeResponse c = new FakeResponse(kind, status);
    c.content = content;
    c.contentType = contentType;
    c.delay = delay;
    c.chunks = chunks;
    c.pauseBetweenChunks = pauseBetweenChunks;
    c.holdAfterChunks = holdAfterChunks;
    c.release = release;
    c.promptTokens = promptTokens;
    c.completionTokens = completionTokens;
    c.errorType = errorType;
    c.dropAfterChunks = dropAfterChunks;
    c.toolCalls = toolCalls;
    c.finishReason = finishReason;
    c.reportedModel = reportedModel;
    c.goAwayFirst = goAwayFirst;
    c.headers = headers;
    c.errorEventAfterChunks = errorEventAfterChunks;
    c.errorEventFirst = errorEventFirst;
    c.streamErrorMessage = streamErrorMessage;
    return c;
  }

  /** An OpenAI chat completion; the content defaults to an echo of the last user message. */
  public static FakeResponse chat() {
    return new FakeResponse(Kind.CHAT, 200);
  }

  /** An OpenAI chat completion stream (SSE) of five chunks unless told otherwise. */
  public static FakeResponse stream() {
    return new FakeResponse(Kind.STREAM, 200).chunks(List.of("Hello", " from", " the", " fake", " provider"));
  }

  /** An OpenAI-shaped error with this status. */
  public static FakeResponse error(int status, String message) {
    FakeResponse r = new FakeResponse(Kind.ERROR, status);
    r.content = message;
    r.errorType = "server_error";
    return r;
  }

  /**
   * A streamed 200 whose first (and only) SSE event is an error, as OpenAI reports a failure it meets after
   * committing to the status: {@code data: {"error":{"message":…,"type":"server_error",…}}} on chat and legacy
   * completions, {@code event: error} on the Responses API; then the body ends, without {@code [DONE]}.
   * {@link #errorType(String)} changes the type.
   */
  public static FakeResponse streamError(String message) {
    FakeResponse r = stream();
    r.errorEventFirst = true;
    r.streamErrorMessage = Objects.requireNonNull(message, "message");
    r.errorType = "server_error";
    return r;
  }

  /** Any body with any status. */
  public static FakeResponse raw(int status, String contentType, String body) {
    FakeResponse r = new FakeResponse(Kind.RAW, status);
    r.content = body;
    r.contentType = contentType;
    return r;
  }

  /** Reads the request and never answers. */
  public static FakeResponse hang() {
    return new FakeResponse(Kind.HANG, 0);
  }

  /** Closes the connection without answering. */
  public static FakeResponse dropConnection() {
    return new FakeResponse(Kind.DROP, 0);
  }

  /**
   * Over HTTP/2, sends GOAWAY naming an earlier stream as the last one processed, so the client knows this request
   * was never processed and may send it again on another connection; the stream gets no answer. Over HTTP/1.1,
   * closes the connection like {@link #dropConnection()}.
   */
  public static FakeResponse refuseWithGoAway() {
    return new FakeResponse(Kind.REFUSE, 0);
  }

  /** A function call for {@link #toolCalls(ToolCall...)}. */
  public static ToolCall toolCall(String id, String name, String arguments) {
    return new ToolCall(id, name, arguments);
  }

  public FakeResponse content(String content) {
    FakeResponse c = copy();
    c.content = Objects.requireNonNull(content);
    return c;
  }

  /** Waits this long before the status line. */
  public FakeResponse delay(Duration delay) {
    FakeResponse c = copy();
    c.delay = delay;
    return c;
  }

  public FakeResponse chunks(List<String> chunks) {
    FakeResponse c = copy();
    c.chunks = List.copyOf(chunks);
    return c;
  }

  /** {@code count} content chunks, "c0 ", "c1 ", …. */
  public FakeResponse chunkCount(int count) {
    List<String> generated = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      generated.add("c" + i + " ");
    }
    return chunks(generated);
  }

  public FakeResponse pauseBetweenChunks(Duration pause) {
    FakeResponse c = copy();
    c.pauseBetweenChunks = pause;
    return c;
  }

  /** After {@code sentChunks} content chunks, sends nothing more until {@code release} completes. */
  public FakeResponse holdAfter(int sentChunks, CompletableFuture<?> release) {
    FakeResponse c = copy();
    c.holdAfterChunks = sentChunks;
    c.release = Objects.requireNonNull(release);
    return c;
  }

  /**
   * Sends every event of a stream, the terminal one included ({@code [DONE]}), then holds the end of the HTTP body
   * (the last chunk of the chunked encoding) until {@code release} completes: the provider has said everything,
   * but the exchange is not over yet.
   */
  public FakeResponse holdBodyEnd(CompletableFuture<?> release) {
    FakeResponse c = copy();
    c.holdAfterChunks = HOLD_BODY_END;
    c.release = Objects.requireNonNull(release);
    return c;
  }

  /** Closes the connection abruptly after {@code sentChunks} content chunks of a stream. */
  public FakeResponse dropAfter(int sentChunks) {
    FakeResponse c = copy();
    c.dropAfterChunks = sentChunks;
    return c;
  }

  /**
   * After the stream's opening event and {@code sentChunks} content chunks, an in-band error event (in the shape of
   * {@link #streamError(String)}) instead of the rest; then the body ends, without {@code [DONE]}. Unlike
   * {@link #dropAfter(int)} the connection stays up and the HTTP exchange completes.
   */
  public FakeResponse errorEventAfter(int sentChunks, String message) {
    if (sentChunks < 0) {
      throw new IllegalArgumentException("sentChunks: " + sentChunks + " (expected: >= 0)");
    }
    FakeResponse c = copy();
    c.errorEventAfterChunks = sentChunks;
    c.errorEventFirst = false;
    c.streamErrorMessage = Objects.requireNonNull(message, "message");
    if (c.errorType == null) {
      c.errorType = "server_error";
    }
    return c;
  }

  /**
   * Sends this response header too (on errors, raw bodies, completions and the head of a stream); a later value for
   * the same name replaces the earlier one. Names are sent lower-case, as HTTP/2 requires.
   */
  public FakeResponse header(String name, String value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    FakeResponse c = copy();
    Map<String, String> more = new LinkedHashMap<>(headers);
    more.put(name.toLowerCase(Locale.ROOT), value);
    c.headers = Collections.unmodifiableMap(more);
    return c;
  }

  /**
   * OpenAI's rate-limit headers as OpenAI, Azure OpenAI and compatible providers send them:
   * {@code x-ratelimit-remaining-requests}, {@code x-ratelimit-remaining-tokens} and
   * {@code x-ratelimit-reset-requests} (a duration in OpenAI's format, e.g. {@code 1s}, {@code 6m0s}, {@code 20ms};
   * see {@link #openAiDuration(Duration)}).
   */
  public FakeResponse rateLimits(long remainingRequests, long remainingTokens, Duration resetRequests) {
    return header("x-ratelimit-remaining-requests", Long.toString(remainingRequests))
        .header("x-ratelimit-remaining-tokens", Long.toString(remainingTokens))
        .header("x-ratelimit-reset-requests", openAiDuration(resetRequests));
  }

  /**
   * A duration as OpenAI writes it in {@code x-ratelimit-reset-*} (Go's duration format): {@code 20ms},
   * {@code 1s}, {@code 1.5s}, {@code 6m0s}, {@code 1h2m3s}; zero is {@code 0s}.
   */
  public static String openAiDuration(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("duration: " + duration + " (expected: >= 0)");
    }
    if (duration.isZero()) {
      return "0s";
    }
    long nanos = duration.toNanos();
    if (nanos < 1_000_000_000L) {
      return trimmed(nanos, 1_000_000L) + "ms";
    }
    long hours = duration.toHours();
    long minutes = duration.toMinutesPart();
    String seconds = trimmed(nanos % 60_000_000_000L, 1_000_000_000L) + "s";
    if (hours > 0) {
      return hours + "h" + minutes + "m" + seconds;
    }
    return minutes > 0 ? minutes + "m" + seconds : seconds;
  }

  /** {@code value / unit} in decimal, without trailing zeros: 1500000 / 1000000 is {@code 1.5}. */
  private static String trimmed(long value, long unit) {
    return BigDecimal.valueOf(value).divide(BigDecimal.valueOf(unit)).stripTrailingZeros()
        .toPlainString();
  }

  public FakeResponse errorType(String type) {
    FakeResponse c = copy();
    c.errorType = type;
    return c;
  }

  public FakeResponse usage(int promptTokens, int completionTokens) {
    FakeResponse c = copy();
    c.promptTokens = promptTokens;
    c.completionTokens = completionTokens;
    return c;
  }

  /**
   * The model calls these functions (in parallel when there are several) instead of answering with text:
   * {@code message.tool_calls} with finish reason {@code tool_calls}; streamed, each call opens with its id and
   * name and then sends its arguments in two pieces. Text content is dropped unless set afterwards.
   */
  public FakeResponse toolCalls(ToolCall... calls) {
    FakeResponse c = copy();
    c.toolCalls = List.of(calls);
    c.chunks = List.of();
    c.content = null;
    return c;
  }

  /**
   * Before answering, announces that the connection takes no new requests: over HTTP/2 a graceful GOAWAY (this
   * stream is the last one processed, and is answered), over HTTP/1.1 {@code Connection: close}.
   */
  public FakeResponse goAwayFirst() {
    FakeResponse c = copy();
    c.goAwayFirst = true;
    return c;
  }

  /** The finish reason to report instead of {@code stop} (or {@code tool_calls}), e.g. {@code length}. */
  public FakeResponse finishReason(String finishReason) {
    FakeResponse c = copy();
    c.finishReason = Objects.requireNonNull(finishReason);
    return c;
  }

  /**
   * The model the answer names instead of the one the request asked for, as real providers answer a model alias
   * with a dated version ({@code gpt-4o} → {@code gpt-4o-2024-08-06}).
   */
  public FakeResponse reportedModel(String model) {
    FakeResponse c = copy();
    c.reportedModel = Objects.requireNonNull(model);
    return c;
  }

  String modelFor(tools.jackson.databind.JsonNode request) {
    return reportedModel != null ? reportedModel : request.path("model").asString("unknown");
  }

  String finishReasonOr(String fallback) {
    if (finishReason != null) {
      return finishReason;
    }
    return toolCalls.isEmpty() ? fallback : "tool_calls";
  }
}
