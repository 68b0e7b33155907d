package dev.spillway.dataplane.exchange;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.metrics.RequestObserver;
import dev.spillway.dataplane.protocol.Adapters;
import dev.spillway.dataplane.protocol.ProviderAdapter;
import dev.spillway.dataplane.protocol.ProviderStreamError;
import dev.spillway.dataplane.protocol.framing.SseDecoder;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.tracing.RequestTrace;
import dev.spillway.dataplane.tracing.SpanContent;
import dev.spillway.dataplane.upstream.CredentialScrubber;
import dev.spillway.dataplane.upstream.Upstream;
import dev.spillway.dataplane.upstream.UpstreamCall;
import dev.spillway.dataplane.upstream.UpstreamFailure;
import dev.spillway.dataplane.upstream.UpstreamListener;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One admitted request from its plan to the last byte to the client: stages 5 to 7 of {@link ExchangePipeline} —
 * route and attempt, relay, settle — the same for every kind of request; what differs between kinds is its
 * {@link Operation}.
 *
 * <p><b>Route and attempt.</b> Attempts run in plan order (primary target, other targets, fallbacks), each target up
 * to the route's {@code max_attempts} with exponential backoff ({@link Attempts} reads every provider failure the
 * same way). The built-in {@code mock} provider answers in-process, every other provider over the network. Failover
 * happens only before the first byte reaches the client.
 *
 * <p><b>Relay.</b> A complete answer is aggregated (bounded) and handed to the operation, which returns it in the
 * client's API. A stream is relayed event by event as it arrives ({@link StreamRelay}); upstream reading pauses while
 * the client's socket buffer is full, so a slow client holds at most one bounded buffer. Once a stream has started, a
 * failure ends it with an error event in the client's format.
 *
 * <p><b>Settle.</b> Exactly once, on every path — answer, error, client gone — before the response completes, so the
 * usage is counted before the connection moves on.
 *
 * <p>Runs on the client connection's event loop. When the client goes away the upstream call is cancelled, unless the
 * stream's terminal event has already passed. Buffer ownership: every upstream chunk is released by the stream relay
 * step that read it, added to the aggregate of a complete answer (released with it or passed on in the answer), or
 * released here when the exchange is over.
 */
public final class Exchange implements UpstreamListener {
  static final AsciiString PROVIDER_HEADER = AsciiString.cached("x-spillway-provider");
  static final AsciiString MODEL_HEADER = AsciiString.cached("x-spillway-model");
  static final AsciiString ATTEMPTS_HEADER = AsciiString.cached("x-spillway-attempts");
  static final String CACHE_HEADER = "x-spillway-cache";
  static final String CACHE_SIMILARITY_HEADER = "x-spillway-cache-similarity";
  private static final int MAX_ERROR_BYTES = 64 * 1024;

  private final ProxyServices services;
  private final RequestContext rc;
  private final ExchangeRequest request;
  private final Operation operation;
  /** What admission reserved; null until the request is admitted. */
  private Admission.Reservation reservation;
  private final Settlement settlement;
  private final Attempts attempts;
  private final Channel client;
  /** The request's spans (tracing on) or the client's trace context (off): {@link RequestTrace#NONE} without either. */
  private final RequestTrace trace;

  private ProviderAdapter adapter;
  private UpstreamCall upstream;
  private HttpResponse head;
  private StreamRelay relay;
  private CompositeByteBuf aggregate;
  private ScheduledFuture<?> retryTimer;
  /** The answer has been written (or is being written), or the client is gone: nothing more is done. */
  private boolean finished;
  private boolean settled;
  /**
   * Events relayed but not yet written: a provider's read batch often holds many events (a fast model's whole
   * answer), and one chunk per batch spares the encoder, the outbound buffer and the allocator a write per event.
   */
  private ByteBuf pendingEvents;
  private boolean eventsWritten;
  /** The stream's head went to the client (with its first content): it can no longer fail over. */
  private boolean streamCommitted;
  /** When the first streamed bytes went to the client ({@link System#nanoTime()}), or 0. */
  private long firstByteNanos;
  /** The last failed attempt failed for a passing reason (unreachable, 408/429/5xx, unreadable answer). */
  private boolean lastFailurePassing;
  /** The current attempt's request, as sent: what {@link #scrub} removes. */
  private UpstreamRequest sent;
  private CredentialScrubber scrubber;
  /** What the cache stage decided; {@link CacheResult#OFF} until it has. */
  private CacheResult cache = CacheResult.OFF;
  /** The request log keeps this request's answer (its key's content policy): the relay captures it. */
  private final boolean logsContent;
  /** What the client was told with the error the request ended with, for the request log. */
  private String errorMessage;

  Exchange(ProxyServices services, RequestContext rc, ExchangeRequest request, Operation operation,
      Settlement settlement, String sessionId, RequestTrace trace) {
    this.trace = trace;
    this.services = services;
    this.rc = rc;
    this.request = request;
    this.operation = operation;
    this.settlement = settlement;
    this.attempts = new Attempts(request.plan(), sessionId, rc.startNanos());
    this.client = rc.ctx().channel();
    this.logsContent = request.client().body() != null && operation.capturesAnswers();
    if (logsContent) {
      operation.captureForCache();
    }
    if (trace.recordsAnswers()) {
      operation.describeAnswers();
    }
  }

  /**
   * Stage 3's answer: the request may go on with {@code reservation}. Returns false when the client has left while
   * admission waited; the reservation is then cancelled, since the request will never run.
   */
  boolean admitted(Admission.Reservation reservation) {
    if (finished) {
      reservation.cancel();
      return false;
    }
    this.reservation = reservation;
    if (!reservation.headers().isEmpty()) {
      rc.extraHeaders(reservation.headers());
    }
    return true;
  }

  /** Stage 3 refused the request after waiting (a refusal found at once is answered by the caller). */
  void refuse(RuntimeException failure) {
    if (finished) {
      return;
    }
    finished = true;
    settled = true; // nothing was reserved, nothing ran
    trace.failed(failure instanceof GatewayException e ? e.error() : GatewayError.INTERNAL);
    if (failure instanceof GatewayException e) {
      Responses.error(rc, e);
    } else {
      Responses.error(rc, GatewayError.INTERNAL, "internal error; request id " + rc.requestId(), null, null);
    }
  }

  /**
   * Stage 4's decision: its header goes on the response, and a miss the cache wants to store has its answer kept.
   */
  void cacheDecided(CacheResult result) {
    this.cache = result;
    String header = result.headerValue();
    if (header != null) {
      rc.extraHeader(CACHE_HEADER, header);
    }
    if (result.similarity() != null && (result.hit() != null || result.status().startsWith("shadow-"))) {
      rc.extraHeader(CACHE_SIMILARITY_HEADER, String.format(java.util.Locale.ROOT, "%.4f", result.similarity()));
    }
    if (result.write() != null) {
      operation.captureForCache();
    }
  }

  /** Stage 4's hit: the cached answer goes to the client, complete or as a stream; no provider is called. */
  void answerFromCache(CacheResult.Hit hit) {
    if (finished) {
      return;
    }
    finished = true;
    settle(hit.usage(), null, false, null);
    String id = (rc.errorShape() == dev.spillway.dataplane.protocol.ErrorShape.ANTHROPIC ? "msg_" : "chatcmpl-")
        + rc.requestId();
    HttpHeaders headers = new DefaultHttpHeaders();
    if (hit.provider() != null) {
      headers.set(PROVIDER_HEADER, hit.provider());
    }
    if (hit.model() != null) {
      headers.set(MODEL_HEADER, hit.model());
    }
    headers.set(ATTEMPTS_HEADER, "0");
    if (!operation.stream()) {
      write(new Answer(io.netty.buffer.Unpooled.wrappedBuffer(operation.replay(hit.completion(), id)), headers,
          hit.usage()), null);
      return;
    }
    byte[] events = operation.replayStream(hit.completion(), id);
    HttpResponse clientHead = streamHead();
    clientHead.headers().add(headers);
    Responses.decorate(rc, clientHead);
    client.write(clientHead);
    rc.observer().streamStarted();
    client.writeAndFlush(new DefaultHttpContent(io.netty.buffer.Unpooled.wrappedBuffer(events)),
        client.voidPromise());
    firstByteNanos = System.nanoTime();
    rc.observer().firstToken();
    trace.firstChunk();
    Responses.endStream(rc);
  }

  /** Stage 5: the first attempt. */
  void start() {
    attempt();
  }

  private RouteTable.Target target() {
    return attempts.target();
  }

  // --- stage 5: route and attempt ----------------------------------------------------------------------------------

  private void attempt() {
    if (finished) {
      return;
    }
    head = null;
    relay = null;
    streamCommitted = false;
    long now = System.nanoTime();
    Attempts.Next next = attempts.next(now);
    if (!(next instanceof Attempts.Go go)) {
      if (attempts.count() == 0) {
        lastFailurePassing = true; // every target known down: an operation that can answer itself does
      }
      proceed(next);
      return;
    }
    RouteTable.Target target = go.target();
    UpstreamRequest upstreamRequest;
    try {
      Adapters adapters = services.adapters();
      ProviderType type = target.provider().type();
      adapter = adapters.supports(type) ? adapters.forType(type) : null;
      upstreamRequest = operation.request(adapter, target);
    } catch (GatewayException e) {
      // The request cannot be expressed for this provider (e.g. an unsupported content type): the client's fault.
      attempts.abandoned();
      respondError(e.error(), target.provider().name() + ": " + e.getMessage());
      return;
    } catch (RuntimeException e) {
      lastFailurePassing = false;
      proceed(attempts.skipTarget(GatewayError.UPSTREAM_ERROR, target.provider().name()
          + ": cannot build the request: " + CredentialScrubber.SHAPES_ONLY.apply(String.valueOf(e.getMessage()))));
      return;
    }
    if (upstreamRequest == null) {
      attempts.abandoned();
      answerLocally();
      return;
    }
    long remainingMs = attempts.remainingMs(now);
    if (remainingMs != Long.MAX_VALUE) {
      upstreamRequest = withinDeadline(upstreamRequest, remainingMs);
    }
    sent = upstreamRequest;
    scrubber = null;
    rc.observer().upstreamStarted(target.provider().name(), attempts.kind());
    trace.attemptStarted(target, attempts.kind(), upstreamRequest);
    upstream = transport(target).call(client.eventLoop(), upstreamRequest, this);
  }

  /** No single attempt outlives the route's deadline. */
  private static UpstreamRequest withinDeadline(UpstreamRequest request, long remainingMs) {
    UpstreamRequest.Timeouts t = request.timeouts();
    long total = t.totalMs() > 0 ? Math.min(t.totalMs(), remainingMs) : remainingMs;
    return new UpstreamRequest(request.method(), request.uri(), request.headers(), request.body(),
        new UpstreamRequest.Timeouts(Math.min(t.connectMs(), total), Math.min(t.firstByteMs(), total),
            t.idleMs(), total));
  }

  /** The built-in mock provider answers in-process; every other provider is called over the network. */
  private Upstream transport(RouteTable.Target target) {
    return target.provider().type() == ProviderType.MOCK ? services.mock() : services.network();
  }

  @Override
  public void onHead(HttpResponse response) {
    if (finished) {
      return;
    }
    head = response;
    rc.observer().upstreamResponded(response.status().code());
    trace.attemptResponded(response.status().code());
    attempts.answered(response.headers(), System.nanoTime());
    relay = isSuccess() ? operation.relay(adapter, target(), response, this::scrub) : null;
    if (relay == null) {
      aggregate = client.alloc().compositeBuffer(Integer.MAX_VALUE);
    }
    // A stream's head waits for its first content (commitStream): until then, a failure can still fail over.
  }

  /**
   * The stream's first content is here: the client gets the head and everything relayed so far, and from now on the
   * stream is the client's — a later failure ends it with an error event instead of trying another target.
   */
  private void commitStream() {
    streamCommitted = true;
    HttpResponse clientHead = streamHead();
    servedBy(clientHead.headers());
    Responses.decorate(rc, clientHead);
    client.write(clientHead);
    rc.observer().streamStarted();
  }

  private static HttpResponse streamHead() {
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
    head.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    head.headers().set("x-accel-buffering", "no");
    HttpUtil.setTransferEncodingChunked(head, true);
    return head;
  }

  @Override
  public void onContent(ByteBuf content) {
    if (finished || (relay == null && aggregate == null)) {
      content.release();
      return;
    }
    if (relay != null) {
      relayContent(content);
      return;
    }
    int limit = isSuccess() ? operation.maxAnswerBytes() : MAX_ERROR_BYTES;
    if (aggregate.readableBytes() + content.readableBytes() > limit) {
      content.release();
      if (isSuccess()) {
        upstream.cancel();
        upstreamEnded(GatewayError.UPSTREAM_ERROR.code());
        releaseAggregate();
        failAttempt(GatewayError.UPSTREAM_ERROR, target().provider().name() + " sent a response larger than "
            + limit + " bytes", false, true, false, true);
      }
      // An error body beyond the limit is cut: its beginning says what went wrong.
      return;
    }
    aggregate.addComponent(true, content);
  }

  @Override
  public void onReadComplete() {
    if (!finished && relay != null && streamCommitted) {
      writeEvents(true);
    }
  }

  @Override
  public void onEnd() {
    upstreamEnded(null);
    if (finished) {
      return;
    }
    if (relay != null) {
      finishStream();
    } else if (aggregate == null) {
      return;
    } else if (isSuccess()) {
      respondSuccess();
    } else {
      upstreamErrorStatus();
    }
  }

  @Override
  public void onFailure(UpstreamFailure failure) {
    upstreamEnded(failure.isTimeout() ? GatewayError.UPSTREAM_TIMEOUT.code() : GatewayError.UPSTREAM_ERROR.code());
    if (finished) {
      return;
    }
    String message = target().provider().name() + ": " + failure.message();
    GatewayError error = failure.isTimeout() ? GatewayError.UPSTREAM_TIMEOUT : GatewayError.UPSTREAM_ERROR;
    if (relay != null && streamCommitted) {
      // The client already has part of the answer; end the stream with an error event it can see.
      endStreamWithError(error, message, false);
      return;
    }
    relay = null;
    discardPendingEvents();
    releaseAggregate();
    failAttempt(error, message, failure.isTimeout(), true, true, true);
  }

  /** A complete non-2xx answer from the provider: decide between retry, fallback and answering the client. */
  private void upstreamErrorStatus() {
    int status = head.status().code();
    String providerMessage = scrub(ProviderErrors.message(aggregate));
    releaseAggregate();
    boolean credentialError = adapter.isCredentialError(status, providerMessage);
    lastFailurePassing = !credentialError && (status == 408 || status == 429 || status >= 500);
    proceed(attempts.afterErrorStatus(status, providerMessage, head.headers(), credentialError, System.nanoTime()));
  }

  private void failAttempt(GatewayError error, String message, boolean timeout, boolean retrySameTarget,
      boolean mayFallBack, boolean passing) {
    lastFailurePassing = passing;
    proceed(attempts.failed(error, message, timeout, retrySameTarget, mayFallBack, System.nanoTime()));
  }

  private void proceed(Attempts.Next next) {
    if (next instanceof Attempts.GiveUp giveUp) {
      if (lastFailurePassing && operation.answersLocally()) {
        answerLocally();
      } else {
        respondError(giveUp.error(), giveUp.message());
      }
    } else if (next instanceof Attempts.Again again && again.delayMs() > 0) {
      retryTimer = client.eventLoop().schedule(this::attempt, again.delayMs(), TimeUnit.MILLISECONDS);
    } else {
      attempt();
    }
  }

  // --- stage 6: relay ----------------------------------------------------------------------------------------------

  private boolean isSuccess() {
    int status = head.status().code();
    return status >= 200 && status < 300;
  }

  private void respondSuccess() {
    CompositeByteBuf content = aggregate;
    aggregate = null;
    Answer answer;
    try {
      answer = operation.answer(adapter, target(), content);
    } catch (RuntimeException e) {
      if (content.refCnt() > 0) {
        content.release();
      }
      failAttempt(GatewayError.UPSTREAM_ERROR, target().provider().name()
          + " sent an answer Spillway cannot read: " + scrub(String.valueOf(e.getMessage())), false, false, true,
          true);
      return;
    }
    finished = true;
    attempts.succeeded(System.nanoTime());
    settle(answer.usage(), null, false, target());
    write(answer, target());
  }

  /** The operation's own answer (count tokens: an estimate), which may come from another thread. */
  private void answerLocally() {
    CompletionStage<Answer> local;
    try {
      local = operation.answerLocally(target());
    } catch (GatewayException e) {
      respondError(e.error(), e.getMessage());
      return;
    }
    RouteTable.Target target = target();
    local.whenComplete((answer, failure) -> client.eventLoop().execute(() -> {
      if (finished) {
        if (answer != null) {
          answer.body().release();
        }
        return;
      }
      if (failure != null) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause() : failure;
        if (cause instanceof GatewayException e) {
          respondError(e.error(), e.getMessage());
        } else {
          respondError(GatewayError.INTERNAL, "internal error; request id " + rc.requestId());
        }
        return;
      }
      finished = true;
      settle(answer.usage(), null, false, null);
      HttpHeaders headers = answer.headers() == null ? new DefaultHttpHeaders() : answer.headers();
      headers.set(PROVIDER_HEADER, target.provider().name());
      headers.set(MODEL_HEADER, target.model());
      write(new Answer(answer.body(), headers, answer.usage()), null);
    }));
  }

  private void write(Answer answer, RouteTable.Target servedBy) {
    ByteBuf body = answer.body();
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    if (servedBy != null) {
      servedBy(response.headers());
    }
    if (answer.headers() != null) {
      response.headers().add(answer.headers());
    }
    Responses.write(rc, response);
  }

  private void relayContent(ByteBuf content) {
    try {
      relay.feed(content, pendingEvents(content.readableBytes()));
    } catch (SseDecoder.SseException | ProviderStreamError e) {
      streamFailed(target().provider().name() + ": " + scrub(String.valueOf(e.getMessage())));
      return;
    } catch (RuntimeException e) {
      streamFailed(target().provider().name() + ": the stream could not be translated: "
          + scrub(String.valueOf(e.getMessage())));
      return;
    } finally {
      content.release();
    }
    if (!streamCommitted) {
      if (!relay.started()) {
        return; // only preamble so far (a message_start, a role): held, so that an error next can still fail over
      }
      commitStream();
    }
    writeEvents(false);
  }

  /**
   * The provider's stream failed in-band (an error event, unreadable framing). Before the client has any of it the
   * attempt failed like any other and the next one may serve the request; after, the stream ends with an error event.
   */
  private void streamFailed(String message) {
    if (streamCommitted) {
      endStreamWithError(GatewayError.UPSTREAM_ERROR, message, true);
      return;
    }
    upstream.cancel();
    upstreamEnded(GatewayError.UPSTREAM_ERROR.code());
    relay = null;
    discardPendingEvents();
    failAttempt(GatewayError.UPSTREAM_ERROR, message, false, true, true, true);
  }

  /**
   * Writes the pending events as one chunk. Within a read batch they wait for its end ({@link #onReadComplete}):
   * nothing waits longer than the batch it came in, and a batch costs one write and one flush, not one per event.
   * The first events go out at once: the time to the first token is what clients feel.
   */
  private void writeEvents(boolean endOfBatch) {
    if (pendingEvents == null || !pendingEvents.isReadable()) {
      return;
    }
    if (!endOfBatch && eventsWritten && !finished && upstream != null && upstream.signalsReadComplete()) {
      return;
    }
    // A void promise spares the chunk encoder's per-write promise bookkeeping: a failed write closes the connection.
    ByteBuf chunk = pendingEvents;
    pendingEvents = null;
    client.writeAndFlush(new DefaultHttpContent(chunk), client.voidPromise());
    if (!eventsWritten) {
      eventsWritten = true;
      firstByteNanos = System.nanoTime();
      trace.firstChunk();
    }
    rc.observer().firstToken();
    if (!client.isWritable() && upstream != null) {
      upstream.setReading(false);
    }
  }

  /** The buffer the relay writes the client's events to: owned here until written, released if never written. */
  private ByteBuf pendingEvents(int sizeHint) {
    if (pendingEvents == null) {
      pendingEvents = client.alloc().directBuffer(Math.max(sizeHint + 64, 256));
    }
    return pendingEvents;
  }

  private void discardPendingEvents() {
    if (pendingEvents != null) {
      pendingEvents.release();
      pendingEvents = null;
    }
  }

  private void finishStream() {
    try {
      relay.finish(pendingEvents(0));
    } catch (RuntimeException e) {
      if (streamCommitted) {
        endStreamWithError(GatewayError.UPSTREAM_ERROR, target().provider().name() + ": "
            + scrub(String.valueOf(e.getMessage())), false);
      } else {
        relay = null;
        discardPendingEvents();
        failAttempt(GatewayError.UPSTREAM_ERROR, target().provider().name() + ": "
            + scrub(String.valueOf(e.getMessage())), false, true, true, true);
      }
      return;
    }
    if (!streamCommitted) {
      commitStream();
    }
    finished = true;
    attempts.succeeded(System.nanoTime());
    writeEvents(true);
    discardPendingEvents();
    settle(relay.usage(), null, false, target());
    Responses.endStream(rc);
  }

  private void endStreamWithError(GatewayError error, String message, boolean cancelUpstream) {
    finished = true;
    errorMessage = message;
    attempts.streamFailed(System.nanoTime());
    if (cancelUpstream) {
      upstream.cancel();
    }
    relay.error(error, message, pendingEvents(0));
    writeEvents(true);
    discardPendingEvents();
    rc.recordError(error);
    settle(relay.usage(), error, false, target());
    Responses.endStream(rc);
  }

  // --- the client ----------------------------------------------------------------------------------------------------

  /**
   * The client went away: stop everything and free what this exchange holds. A client that leaves right after a
   * stream's terminal event (scripts commonly close on {@code [DONE]}) has everything; the provider's last bytes
   * are on their way, so the exchange is left to finish and its connection goes back to the pool instead of being
   * closed (cancelling would cost the next request a new connection, and a TLS handshake on real providers).
   */
  public void clientClosed() {
    if (finished) {
      return;
    }
    finished = true;
    if (upstream != null && relay != null && relay.sawTerminalEvent()) {
      // The usage came before the terminal event; it counts as for a stream that ended normally.
      attempts.succeeded(System.nanoTime());
      settle(relay.usage(), null, false, target());
      upstream.setReading(true);
    } else {
      attempts.abandoned();
      if (upstream != null) {
        upstream.cancel();
        upstreamEnded("cancelled");
      }
      // Part of a stream reached the client: the provider generated it and charges for it.
      settle(relay != null ? relay.usage() : Usage.NONE, null, true, relay != null ? target() : null);
    }
    if (retryTimer != null) {
      retryTimer.cancel(false);
    }
    discardPendingEvents();
    releaseAggregate();
  }

  /** The client's socket buffer filled up or drained: pause or resume reading the provider's stream. */
  public void clientWritabilityChanged() {
    if (!finished && relay != null && upstream != null) {
      upstream.setReading(client.isWritable());
    }
  }

  // --- answers and stage 7 -------------------------------------------------------------------------------------------

  private void respondError(GatewayError error, String message) {
    finished = true;
    errorMessage = message;
    attempts.abandoned();
    settle(relay != null ? relay.usage() : Usage.NONE, error, false, null);
    Responses.error(rc, error, message, null, attempts.errorHeaders(error));
  }

  /** Stage 7: exactly once per exchange, before its response completes. */
  private void settle(Usage usage, GatewayError error, boolean clientClosed, RouteTable.Target servedBy) {
    if (settled) {
      return;
    }
    settled = true;
    rc.observer().usage(usage);
    AnswerFacts facts = servedBy != null ? operation.answerFacts() : null;
    if (facts != null) {
      trace.answered(facts.model(), facts.finishReasons());
    }
    if (logsContent && error == null && !clientClosed && servedBy != null && trace.recordsContent()) {
      CapturedAnswer captured = operation.captured();
      trace.content(new SpanContent(request.caller().key().logging(), operation.canonical(),
          () -> captured == null ? null : captured.completion()));
    }
    trace.ended(error != null ? error.status().code() : clientClosed ? 499 : 200, error, usage, servedBy,
        attempts.count(), cache.status());
    if (reservation == null) {
      // The client left while admission waited: the reservation, when it comes, is cancelled (admitted()).
      return;
    }
    CapturedAnswer answer = error == null && !clientClosed && servedBy != null
        && (cache.write() != null || logsContent) ? operation.captured() : null;
    settlement.settle(new Outcome(request, reservation, servedBy, attempts.count(), usage, error, clientClosed,
        rc.startNanos(), firstByteNanos, relay != null ? relay.transcript() : null, cache, answer, errorMessage,
        attempts.trail(), logsContent ? operation::replay : null));
  }

  /**
   * The current attempt's response is over; {@code errorType} names a failure that has no status of its own
   * (timeout, refused connection, unreadable stream, cancelled), or is null.
   */
  private void upstreamEnded(String errorType) {
    rc.observer().upstreamEnded();
    trace.attemptEnded(errorType);
  }

  private void servedBy(HttpHeaders headers) {
    headers.set(PROVIDER_HEADER, target().provider().name());
    headers.set(MODEL_HEADER, target().model());
    headers.set(ATTEMPTS_HEADER, Integer.toString(attempts.count()));
  }

  /**
   * Removes the credentials the current attempt sent (and credential-shaped text) from whatever the provider says
   * that reaches the client: a provider, or a proxy before it, may echo the {@code Authorization} header it got.
   * The scrubber is built on first use: most answers need none.
   */
  private String scrub(String text) {
    if (scrubber == null) {
      scrubber = sent == null ? CredentialScrubber.SHAPES_ONLY : CredentialScrubber.of(sent);
    }
    return scrubber.apply(text);
  }

  private void releaseAggregate() {
    if (aggregate != null) {
      aggregate.release();
      aggregate = null;
    }
  }
}
