package dev.spillway.testsupport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * What a {@link FakeProvider} answers to one request. Immutable; the {@code with…} style methods return copies.
 */
public final class FakeResponse {
  enum Kind { CHAT, STREAM, ERROR, RAW, HANG, DROP }

  final Kind kind;
  final int status;
  final String content;
  final String contentType;
  final Duration delay;
  final List<String> chunks;
  final Duration pauseBetweenChunks;
  final int holdAfterChunks;
  final CompletableFuture<?> release;
  final int promptTokens;
  final int completionTokens;
  final String errorType;
  int dropAfterChunks = -1;

  private FakeResponse(Kind kind, int status, String content, String contentType, Duration delay, List<String> chunks,
      Duration pauseBetweenChunks, int holdAfterChunks, CompletableFuture<?> release, int promptTokens,
      int completionTokens, String errorType) {
    this.kind = kind;
    this.status = status;
    this.content = content;
    this.contentType = contentType;
    this.delay = delay;
    this.chunks = List.copyOf(chunks);
    this.pauseBetweenChunks = pauseBetweenChunks;
    this.holdAfterChunks = holdAfterChunks;
    this.release = release;
    this.promptTokens = promptTokens;
    this.completionTokens = completionTokens;
    this.errorType = errorType;
  }

  private static FakeResponse of(Kind kind, int status) {
    return new FakeResponse(kind, status, null, null, Duration.ZERO, List.of(), Duration.ZERO, -1, null, 12, 7, null);
  }

  /** An OpenAI chat completion; the content defaults to an echo of the last user message. */
  public static FakeResponse chat() {
    return of(Kind.CHAT, 200);
  }

  /** An OpenAI chat completion stream (SSE) of five chunks unless told otherwise. */
  public static FakeResponse stream() {
    return of(Kind.STREAM, 200).chunks(List.of("Hello", " from", " the", " fake", " provider"));
  }

  /** An OpenAI-shaped error with this status. */
  public static FakeResponse error(int status, String message) {
    FakeResponse r = of(Kind.ERROR, status);
    return r.copy(r.kind, status, message, r.contentType, r.delay, r.chunks, r.pauseBetweenChunks, r.holdAfterChunks,
        r.release, r.errorType == null ? "server_error" : r.errorType);
  }

  /** Any body with any status. */
  public static FakeResponse raw(int status, String contentType, String body) {
    FakeResponse r = of(Kind.RAW, status);
    return r.copy(r.kind, status, body, contentType, r.delay, r.chunks, r.pauseBetweenChunks, r.holdAfterChunks,
        r.release, null);
  }

  /** Reads the request and never answers. */
  public static FakeResponse hang() {
    return of(Kind.HANG, 0);
  }

  /** Closes the connection without answering. */
  public static FakeResponse dropConnection() {
    return of(Kind.DROP, 0);
  }

  public FakeResponse content(String content) {
    return copy(kind, status, Objects.requireNonNull(content), contentType, delay, chunks, pauseBetweenChunks,
        holdAfterChunks, release, errorType);
  }

  /** Waits this long before the status line. */
  public FakeResponse delay(Duration delay) {
    return copy(kind, status, content, contentType, delay, chunks, pauseBetweenChunks, holdAfterChunks, release,
        errorType);
  }

  public FakeResponse chunks(List<String> chunks) {
    return copy(kind, status, content, contentType, delay, chunks, pauseBetweenChunks, holdAfterChunks, release,
        errorType);
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
    return copy(kind, status, content, contentType, delay, chunks, pause, holdAfterChunks, release, errorType);
  }

  /** After {@code sentChunks} content chunks, sends nothing more until {@code release} completes. */
  public FakeResponse holdAfter(int sentChunks, CompletableFuture<?> release) {
    return copy(kind, status, content, contentType, delay, chunks, pauseBetweenChunks, sentChunks,
        Objects.requireNonNull(release), errorType);
  }

  /** Closes the connection abruptly after {@code sentChunks} content chunks of a stream. */
  public FakeResponse dropAfter(int sentChunks) {
    FakeResponse copy = copy(kind, status, content, contentType, delay, chunks, pauseBetweenChunks, holdAfterChunks,
        release, errorType);
    copy.dropAfterChunks = sentChunks;
    return copy;
  }

  public FakeResponse errorType(String type) {
    return copy(kind, status, content, contentType, delay, chunks, pauseBetweenChunks, holdAfterChunks, release, type);
  }

  public FakeResponse usage(int promptTokens, int completionTokens) {
    FakeResponse copy = new FakeResponse(kind, status, content, contentType, delay, chunks, pauseBetweenChunks,
        holdAfterChunks, release, promptTokens, completionTokens, errorType);
    copy.dropAfterChunks = dropAfterChunks;
    return copy;
  }

  private FakeResponse copy(Kind kind, int status, String content, String contentType, Duration delay,
      List<String> chunks, Duration pause, int holdAfter, CompletableFuture<?> release, String errorType) {
    FakeResponse copy = new FakeResponse(kind, status, content, contentType, delay, chunks, pause, holdAfter, release,
        promptTokens, completionTokens, errorType);
    copy.dropAfterChunks = dropAfterChunks;
    return copy;
  }
}
