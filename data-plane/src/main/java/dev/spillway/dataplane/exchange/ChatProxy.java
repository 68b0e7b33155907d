package dev.spillway.dataplane.exchange;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.ClientFormat;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.metrics.RequestObserver;
import dev.spillway.dataplane.protocol.ProviderAdapter;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.protocol.ProviderStreamError;
import dev.spillway.dataplane.protocol.framing.SseDecoder;
import dev.spillway.dataplane.upstream.UpstreamCall;
import dev.spillway.dataplane.upstream.UpstreamFailure;
import dev.spillway.dataplane.upstream.UpstreamListener;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
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
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One generation request (chat completions, Anthropic messages, …) from its resolved plan to the last byte to the
 * client, in whatever API the client speaks and whatever API the provider speaks.
 *
 * <p>Attempts run in plan order (primary target, other targets, fallbacks), each target up to the route's
 * {@code max_attempts} with exponential backoff. Failover happens only before the first byte reaches the client;
 * once a stream has started, a failure ends it with an error event in the client's format. Streams are relayed
 * event by event as they arrive; upstream reading pauses while the client's socket buffer is full, so a slow
 * client holds at most one bounded buffer. When the client goes away the upstream call is cancelled.
 *
 * <p>When the provider speaks the client's API the body passes through (the native path); otherwise the adapter
 * translates through the canonical form (OpenAI chat completions) and the client format writes the answer.
 *
 * <p>Buffer ownership: every upstream chunk is released by the stream relay step that read it, added to the
 * aggregate of a complete answer (released with it), or released here when the exchange is over.
 */
public final class ChatProxy implements UpstreamListener {
  static final AsciiString PROVIDER_HEADER = AsciiString.cached("x-spillway-provider");
  static final AsciiString MODEL_HEADER = AsciiString.cached("x-spillway-model");
  static final AsciiString ATTEMPTS_HEADER = AsciiString.cached("x-spillway-attempts");
  private static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
  private static final int MAX_ERROR_BYTES = 64 * 1024;
  private static final int MAX_PROVIDER_MESSAGE = 1000;

  private final ProxyServices services;
  private final RequestContext rc;
  private final ChatCall call;
  private final ClientFormat format;
  private final Attempts attempts;
  private final Channel client;

  private ProviderAdapter adapter;
  private boolean nativePath;
  private UpstreamCall upstream;
  private HttpResponse head;
  private StreamRelay relay;
  private CompositeByteBuf aggregate;
  private ScheduledFuture<?> retryTimer;
  private boolean finished;
  private boolean unflushed;
  private boolean eventsWritten;
  private Usage usage = Usage.NONE;

  public ChatProxy(ProxyServices services, RequestContext rc, ChatCall call, ClientFormat format,
      RouteTable.Plan plan) {
    this.services = services;
    this.rc = rc;
    this.call = call;
    this.format = format;
    this.attempts = new Attempts(plan);
    this.client = rc.ctx().channel();
  }

  public void start() {
    attempt();
  }

  /** Usage of the answer, once it is complete (for accounting and metrics). */
  public Usage usage() {
    return relay != null ? relay.usage() : usage;
  }

  private RouteTable.Target target() {
    return attempts.target();
  }

  private void attempt() {
    if (finished) {
      return;
    }
    RequestObserver.Attempt kind = attempts.start();
    head = null;
    relay = null;
    RouteTable.Target target = target();
    UpstreamRequest request;
    try {
      adapter = services.adapters().forType(target.provider().type());
      nativePath = adapter.speaks(call.api(), target.provider());
      if (!nativePath && call.nativeOnlyReason() != null) {
        throw GatewayError.INVALID_REQUEST.exception(call.nativeOnlyReason());
      }
      request = nativePath ? adapter.passthrough(target.provider(), target.model(), call)
          : adapter.chat(target.provider(), target.model(), call);
    } catch (dev.spillway.dataplane.error.GatewayException e) {
      // The request cannot be expressed for this provider (e.g. an unsupported content type): the client's fault.
      respondError(e.error(), target.provider().name() + ": " + e.getMessage());
      return;
    } catch (RuntimeException e) {
      failAttempt(GatewayError.UPSTREAM_ERROR, target.provider().name() + ": cannot build the request: "
          + e.getMessage(), false, false, true);
      return;
    }
    var transport = target.provider().type() == ProviderType.MOCK ? services.mock() : services.network();
    rc.observer().upstreamStarted(target.provider().name(), kind);
    upstream = transport.call(client.eventLoop(), request, this);
  }

  @Override
  public void onHead(HttpResponse response) {
    if (finished) {
      return;
    }
    head = response;
    rc.observer().upstreamResponded(response.status().code());
    if (isSuccess() && call.stream() && isStream(response)) {
      relay = nativePath ? new NativeStreamRelay(adapter, call, format.newStreamEncoder(call))
          : new TranslatingStreamRelay(adapter.newStreamDecoder(target().model()), format.newStreamEncoder(call));
      HttpResponse clientHead = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
      clientHead.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
      clientHead.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
      clientHead.headers().set("x-accel-buffering", "no");
      HttpUtil.setTransferEncodingChunked(clientHead, true);
      servedBy(clientHead.headers());
      Responses.decorate(rc, clientHead);
      client.writeAndFlush(clientHead);
      rc.observer().streamStarted();
    } else {
      aggregate = client.alloc().compositeBuffer(Integer.MAX_VALUE);
    }
  }

  @Override
  public void onContent(ByteBuf content) {
    if (finished) {
      content.release();
      return;
    }
    if (relay != null) {
      StringBuilder out = new StringBuilder(content.readableBytes() + 64);
      try {
        relay.feed(content, out);
      } catch (SseDecoder.SseException | ProviderStreamError e) {
        writeEvents(out);
        endStreamWithError(GatewayError.UPSTREAM_ERROR, target().provider().name() + ": " + e.getMessage());
        return;
      } catch (RuntimeException e) {
        writeEvents(out);
        endStreamWithError(GatewayError.UPSTREAM_ERROR, target().provider().name()
            + ": the stream could not be translated: " + e);
        return;
      } finally {
        content.release();
      }
      writeEvents(out);
      return;
    }
    int limit = isSuccess() ? MAX_RESPONSE_BYTES : MAX_ERROR_BYTES;
    if (aggregate.readableBytes() + content.readableBytes() > limit) {
      content.release();
      if (isSuccess()) {
        upstream.cancel();
        releaseAggregate();
        failAttempt(GatewayError.UPSTREAM_ERROR, target().provider().name() + " sent a response larger than "
            + MAX_RESPONSE_BYTES + " bytes", false, true, false);
      }
      return;
    }
    aggregate.addComponent(true, content);
  }

  private void writeEvents(StringBuilder out) {
    if (out.length() == 0) {
      return;
    }
    // String.getBytes is vectorised (encoding the builder char by char was a fifth of a stream's CPU), and a void
    // promise spares the chunk encoder's per-write promise bookkeeping: a failed write closes the connection.
    byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuf chunk = client.alloc().directBuffer(bytes.length).writeBytes(bytes);
    if (eventsWritten && upstream != null && upstream.signalsReadComplete() && !finished) {
      // Flushed in onReadComplete, once per upstream read batch: nothing waits longer than the batch it came in
      // (a flush per piece cost a system call per piece), and the end of a stream flushes anyway. The first
      // events go out at once: the time to the first token is what clients feel.
      client.write(new DefaultHttpContent(chunk), client.voidPromise());
      unflushed = true;
    } else {
      client.writeAndFlush(new DefaultHttpContent(chunk), client.voidPromise());
      eventsWritten = true;
    }
    rc.observer().firstToken();
    if (!client.isWritable()) {
      upstream.setReading(false);
    }
  }

  private void endStreamWithError(GatewayError error, String message) {
    finished = true;
    upstream.cancel();
    StringBuilder out = new StringBuilder();
    relay.error(error, message, out);
    writeEvents(out);
    rc.recordError(error);
    Responses.endStream(rc);
  }

  @Override
  public void onReadComplete() {
    if (unflushed) {
      unflushed = false;
      client.flush();
    }
  }

  @Override
  public void onEnd() {
    rc.observer().upstreamEnded();
    if (finished) {
      return;
    }
    if (relay != null) {
      StringBuilder out = new StringBuilder();
      try {
        relay.finish(out);
      } catch (RuntimeException e) {
        writeEvents(out);
        endStreamWithError(GatewayError.UPSTREAM_ERROR, target().provider().name() + ": " + e.getMessage());
        return;
      }
      finished = true;
      writeEvents(out);
      rc.observer().usage(relay.usage());
      Responses.endStream(rc);
      return;
    }
    if (isSuccess()) {
      respondSuccess();
    } else {
      upstreamErrorStatus();
    }
  }

  @Override
  public void onFailure(UpstreamFailure failure) {
    rc.observer().upstreamEnded();
    if (finished) {
      return;
    }
    String message = target().provider().name() + ": " + failure.message();
    GatewayError error = failure.isTimeout() ? GatewayError.UPSTREAM_TIMEOUT : GatewayError.UPSTREAM_ERROR;
    if (relay != null) {
      // The client already has part of the answer; end the stream with an error event it can see.
      finished = true;
      StringBuilder out = new StringBuilder();
      relay.error(error, message, out);
      writeEvents(out);
      rc.recordError(error);
      Responses.endStream(rc);
      return;
    }
    releaseAggregate();
    failAttempt(error, message, failure.isTimeout(), true, true);
  }

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
      // The usage came before the terminal event; it is counted as for a stream that ended normally.
      rc.observer().usage(relay.usage());
      upstream.setReading(true);
    } else if (upstream != null) {
      upstream.cancel();
    }
    if (retryTimer != null) {
      retryTimer.cancel(false);
    }
    releaseAggregate();
  }

  public void clientWritabilityChanged() {
    if (!finished && relay != null && upstream != null) {
      upstream.setReading(client.isWritable());
    }
  }

  private boolean isSuccess() {
    int status = head.status().code();
    return status >= 200 && status < 300;
  }

  private void respondSuccess() {
    CompositeByteBuf content = aggregate;
    aggregate = null;
    ByteBuf body;
    try {
      if (nativePath) {
        usage = adapter.nativeUsage(Json.parseFields(content, adapter.nativeUsageFields()));
        body = content;
      } else {
        JsonNode parsed = Json.parse(ByteBufUtil.getBytes(content));
        content.release();
        ObjectNode completion = adapter.chatResponse(parsed, target().model());
        usage = Usage.fromOpenAi(completion.get("usage"));
        body = Unpooled.wrappedBuffer(Json.bytes(format.encodeResponse(completion, call)));
      }
    } catch (RuntimeException e) {
      if (content.refCnt() > 0) {
        content.release();
      }
      failAttempt(GatewayError.UPSTREAM_ERROR, target().provider().name()
          + " sent an answer Spillway cannot read: " + e.getMessage(), false, false, true);
      return;
    }
    finished = true;
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    servedBy(response.headers());
    rc.observer().usage(usage);
    Responses.write(rc, response);
  }

  /** A complete non-2xx answer from the provider: decide between retry, fallback and answering the client. */
  private void upstreamErrorStatus() {
    int status = head.status().code();
    String providerMessage = providerMessage(aggregate);
    String retryAfter = head.headers().get(HttpHeaderNames.RETRY_AFTER);
    releaseAggregate();
    boolean credentialError = adapter.isCredentialError(status, providerMessage);
    proceed(attempts.afterErrorStatus(status, providerMessage, retryAfter, credentialError));
  }

  private void failAttempt(GatewayError error, String message, boolean timeout, boolean retrySameTarget,
      boolean mayFallBack) {
    proceed(attempts.failed(error, message, timeout, retrySameTarget, mayFallBack));
  }

  private void proceed(Attempts.Next next) {
    if (next instanceof Attempts.GiveUp giveUp) {
      respondError(giveUp.error(), giveUp.message());
    } else if (next instanceof Attempts.Again again && again.backoffMs() > 0) {
      retryTimer = client.eventLoop().schedule(this::attempt, again.backoffMs(), TimeUnit.MILLISECONDS);
    } else {
      attempt();
    }
  }

  private void respondError(GatewayError error, String message) {
    finished = true;
    Responses.error(rc, error, message, null, attempts.errorHeaders(error));
  }

  private void servedBy(HttpHeaders headers) {
    headers.set(PROVIDER_HEADER, target().provider().name());
    headers.set(MODEL_HEADER, target().model());
    headers.set(ATTEMPTS_HEADER, Integer.toString(attempts.count()));
  }

  private void releaseAggregate() {
    if (aggregate != null) {
      aggregate.release();
      aggregate = null;
    }
  }

  private static boolean isStream(HttpResponse response) {
    String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE);
    return type != null && (type.regionMatches(true, 0, "text/event-stream", 0, 17)
        || type.regionMatches(true, 0, "application/vnd.amazon.eventstream", 0, 34));
  }

  /** The provider's own error message (OpenAI, Anthropic, Gemini, Bedrock shapes), or its raw body, shortened. */
  static String providerMessage(ByteBuf body) {
    if (body == null || !body.isReadable()) {
      return "(empty body)";
    }
    String text = body.toString(StandardCharsets.UTF_8);
    try {
      JsonNode json = Json.parse(text.getBytes(StandardCharsets.UTF_8));
      JsonNode message = json.path("error").path("message");
      if (message.isMissingNode() && json.path("error").isString()) {
        message = json.path("error");
      }
      if (message.isMissingNode()) {
        message = json.path("message");
      }
      if (message.isMissingNode()) {
        message = json.path("Message");
      }
      if (message.isString()) {
        text = message.asString();
      }
    } catch (RuntimeException notJson) {
      // keep the raw text
    }
    return text.length() > MAX_PROVIDER_MESSAGE ? text.substring(0, MAX_PROVIDER_MESSAGE) + "…" : text;
  }
}
