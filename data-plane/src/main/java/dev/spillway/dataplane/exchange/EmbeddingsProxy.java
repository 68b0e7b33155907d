package dev.spillway.dataplane.exchange;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.protocol.EmbeddingsCall;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.metrics.RequestObserver;
import dev.spillway.dataplane.protocol.ProviderAdapter;
import dev.spillway.dataplane.routing.RouteTable;
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
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One {@code POST /v1/embeddings} request from its plan to the client's answer. Embeddings are never streamed, so
 * this is the non-streaming half of {@link ChatProxy}: the same attempt order (primary target, other targets,
 * fallbacks; {@code max_attempts} per target with exponential backoff) and the same reading of provider failures.
 *
 * <p>The OpenAI family answers natively; the adapter of any other provider type translates to and from OpenAI's
 * embeddings shape. The answer is then put in the encoding the client asked for: the OpenAI SDKs ask for base64
 * (little-endian float32) by default, and a provider that answered floats is encoded here (and the other way
 * round). A provider answer that already has the right encoding passes through byte for byte.
 *
 * <p>Runs on the client connection's event loop. The upstream answer is aggregated (bounded) and released on every
 * path; a client that goes away cancels the upstream call.
 */
public final class EmbeddingsProxy implements UpstreamListener {
  private static final int MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
  private static final int MAX_ERROR_BYTES = 64 * 1024;

  private final ProxyServices services;
  private final RequestContext rc;
  private final EmbeddingsCall call;
  private final Attempts attempts;
  private final Channel client;
  private final ChannelFutureListener onClientClose = f -> clientClosed();

  private ProviderAdapter adapter;
  private UpstreamCall upstream;
  private HttpResponse head;
  private CompositeByteBuf aggregate;
  private ScheduledFuture<?> retryTimer;
  private boolean finished;
  private Usage usage = Usage.NONE;

  public EmbeddingsProxy(ProxyServices services, RequestContext rc, EmbeddingsCall call, RouteTable.Plan plan) {
    this.services = services;
    this.rc = rc;
    this.call = call;
    this.attempts = new Attempts(plan);
    this.client = rc.ctx().channel();
  }

  public void start() {
    client.closeFuture().addListener(onClientClose);
    attempt();
  }

  /** Usage of the answer once it is complete ({@code prompt_tokens}; embeddings have no output tokens). */
  public Usage usage() {
    return usage;
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
    RouteTable.Target target = target();
    UpstreamRequest request;
    try {
      ProviderType type = target.provider().type();
      if (type == ProviderType.ANTHROPIC) {
        throw GatewayError.INVALID_REQUEST.exception("Anthropic has no embeddings API; route embeddings to an "
            + "openai, azure-openai, openai-compatible, gemini or mock provider", "model");
      }
      if (!services.adapters().supports(type)) {
        throw GatewayError.INVALID_REQUEST.exception("provider type " + type.wireName()
            + " does not offer embeddings yet", "model");
      }
      adapter = services.adapters().forType(type);
      if (call.tokenInput() && !adapter.speaks(InboundApi.OPENAI_EMBEDDINGS, target.provider())) {
        throw GatewayError.INVALID_REQUEST.exception("input: token arrays reach only providers that speak the "
            + "OpenAI embeddings API (openai, azure-openai, openai-compatible, mock); send text", "input");
      }
      request = adapter.embeddings(target.provider(), target.model(), call.original().deepCopy());
    } catch (GatewayException e) {
      respondError(e.error(), target.provider().name() + ": " + e.getMessage());
      return;
    } catch (RuntimeException e) {
      failAttempt(GatewayError.UPSTREAM_ERROR, target.provider().name() + ": cannot build the request: "
          + e.getMessage(), false, false, true);
      return;
    }
    rc.observer().upstreamStarted(target.provider().name(), kind);
    var transport = target.provider().type() == ProviderType.MOCK ? services.mock() : services.network();
    upstream = transport.call(client.eventLoop(), request, this);
  }

  @Override
  public void onHead(HttpResponse response) {
    if (finished) {
      return;
    }
    head = response;
    rc.observer().upstreamResponded(response.status().code());
    aggregate = client.alloc().compositeBuffer(Integer.MAX_VALUE);
  }

  @Override
  public void onContent(ByteBuf content) {
    if (finished || aggregate == null) {
      content.release();
      return;
    }
    int limit = isSuccess() ? MAX_RESPONSE_BYTES : MAX_ERROR_BYTES;
    if (aggregate.readableBytes() + content.readableBytes() > limit) {
      content.release();
      if (isSuccess()) {
        upstream.cancel();
        rc.observer().upstreamEnded();
        releaseAggregate();
        failAttempt(GatewayError.UPSTREAM_ERROR, target().provider().name() + " sent a response larger than "
            + MAX_RESPONSE_BYTES + " bytes", false, true, false);
      }
      return;
    }
    aggregate.addComponent(true, content);
  }

  @Override
  public void onEnd() {
    if (finished || aggregate == null) {
      return;
    }
    rc.observer().upstreamEnded();
    if (isSuccess()) {
      respondSuccess();
    } else {
      upstreamErrorStatus();
    }
  }

  @Override
  public void onFailure(UpstreamFailure failure) {
    if (finished) {
      return;
    }
    rc.observer().upstreamEnded();
    releaseAggregate();
    failAttempt(failure.isTimeout() ? GatewayError.UPSTREAM_TIMEOUT : GatewayError.UPSTREAM_ERROR,
        target().provider().name() + ": " + failure.message(), failure.isTimeout(), true, true);
  }

  private void clientClosed() {
    if (finished) {
      return;
    }
    finished = true;
    if (upstream != null) {
      upstream.cancel();
      rc.observer().upstreamEnded();
    }
    if (retryTimer != null) {
      retryTimer.cancel(false);
    }
    releaseAggregate();
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
      JsonNode parsed = Json.parse(ByteBufUtil.getBytes(content));
      ObjectNode list = adapter.embeddingsResponse(parsed, target().model());
      usage = Usage.fromOpenAi(list.get("usage"));
      rc.observer().usage(usage);
      if (list == parsed && !reencode(list)) {
        body = content;
      } else {
        content.release();
        body = Unpooled.wrappedBuffer(Json.bytes(list));
      }
    } catch (RuntimeException e) {
      if (content.refCnt() > 0) {
        content.release();
      }
      failAttempt(GatewayError.UPSTREAM_ERROR, target().provider().name()
          + " sent an answer Spillway cannot read: " + e.getMessage(), false, false, true);
      return;
    }
    finish();
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    response.headers().set(ChatProxy.PROVIDER_HEADER, target().provider().name());
    response.headers().set(ChatProxy.MODEL_HEADER, target().model());
    response.headers().set(ChatProxy.ATTEMPTS_HEADER, Integer.toString(attempts.count()));
    Responses.write(rc, response);
  }

  /**
   * Puts every embedding in the client's encoding; true when anything changed. Base64 is little-endian float32,
   * as OpenAI encodes it.
   */
  private boolean reencode(ObjectNode list) {
    boolean changed = false;
    for (JsonNode item : list.path("data")) {
      if (!(item instanceof ObjectNode entry)) {
        continue;
      }
      JsonNode embedding = entry.get("embedding");
      if (call.base64() && embedding != null && embedding.isArray()) {
        entry.put("embedding", toBase64(embedding));
        changed = true;
      } else if (!call.base64() && embedding != null && embedding.isString()) {
        entry.set("embedding", fromBase64(embedding.asString()));
        changed = true;
      }
    }
    return changed;
  }

  static String toBase64(JsonNode floats) {
    ByteBuffer bytes = ByteBuffer.allocate(floats.size() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (JsonNode value : floats) {
      bytes.putFloat((float) value.asDouble());
    }
    return Base64.getEncoder().encodeToString(bytes.array());
  }

  static ArrayNode fromBase64(String encoded) {
    ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(encoded)).order(ByteOrder.LITTLE_ENDIAN);
    ArrayNode floats = Json.array();
    while (bytes.remaining() >= Float.BYTES) {
      floats.add(bytes.getFloat());
    }
    return floats;
  }

  /** A complete non-2xx answer: retry, fall back or answer the client, as {@link ChatProxy} decides. */
  private void upstreamErrorStatus() {
    int status = head.status().code();
    String providerMessage = ChatProxy.providerMessage(aggregate);
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
    finish();
    Responses.error(rc, error, message, null, attempts.errorHeaders(error));
  }

  private void finish() {
    finished = true;
    client.closeFuture().removeListener(onClientClose);
  }

  private void releaseAggregate() {
    if (aggregate != null) {
      aggregate.release();
      aggregate = null;
    }
  }
}
