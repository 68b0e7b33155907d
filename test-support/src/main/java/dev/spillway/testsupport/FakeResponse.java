package dev.spillway.testsupport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
  boolean goAwayFirst;

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
    c.goAwayFirst = goAwayFirst;
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

  String finishReasonOr(String fallback) {
    if (finishReason != null) {
      return finishReason;
    }
    return toolCalls.isEmpty() ? fallback : "tool_calls";
  }
}
