package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.usage.TokenEstimator;
import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.metrics.RequestObserver;
import dev.spillway.dataplane.protocol.ProviderAdapter;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.upstream.UpstreamFailure;
import dev.spillway.dataplane.upstream.UpstreamListener;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /v1/messages/count_tokens}: the input tokens of an Anthropic Messages request, for the route's primary
 * target. A provider with its own count (an {@code anthropic} provider) is asked; for every other provider, or when
 * the provider is unreachable, overloaded or rate-limited, Spillway estimates locally ({@link TokenEstimator}). The
 * answer is Anthropic's, {@code {"input_tokens": N}}, and {@code x-spillway-token-count} says which it is:
 * {@code provider} or {@code estimate}.
 *
 * <p>Not a generation: no retries or fallbacks, no streaming, no usage. Runs on the client's event loop; the
 * provider's answer is small and aggregated up to {@value #MAX_ANSWER_BYTES} bytes, released on every path.
 */
public final class CountTokensProxy implements UpstreamListener {
  static final AsciiString TOKEN_COUNT_HEADER = AsciiString.cached("x-spillway-token-count");
  private static final int MAX_ANSWER_BYTES = 64 * 1024;

  private final ProxyServices services;
  private final RequestContext rc;
  private final ChatCall call;
  private final RouteTable.Target target;
  private ProviderAdapter adapter;
  private HttpResponse head;
  private CompositeByteBuf answer;
  private boolean tooLarge;

  public CountTokensProxy(ProxyServices services, RequestContext rc, ChatCall call, RouteTable.Plan plan) {
    this.services = services;
    this.rc = rc;
    this.call = call;
    this.target = plan.targets().get(0);
  }

  public void start() {
    adapter = services.adapters().forType(target.provider().type());
    UpstreamRequest request = adapter.countTokens(target.provider(), target.model(), call);
    if (request == null) {
      estimate();
      return;
    }
    rc.observer().upstreamStarted(target.provider().name(), RequestObserver.Attempt.FIRST);
    var transport = target.provider().type() == ProviderType.MOCK ? services.mock() : services.network();
    transport.call(rc.ctx().channel().eventLoop(), request, this);
  }

  @Override
  public void onHead(HttpResponse response) {
    head = response;
    rc.observer().upstreamResponded(response.status().code());
    answer = rc.ctx().alloc().compositeBuffer();
  }

  @Override
  public void onContent(ByteBuf content) {
    if (tooLarge || answer.readableBytes() + content.readableBytes() > MAX_ANSWER_BYTES) {
      tooLarge = true;
      content.release();
      return;
    }
    answer.addComponent(true, content);
  }

  @Override
  public void onEnd() {
    rc.observer().upstreamEnded();
    CompositeByteBuf body = answer;
    answer = null;
    try {
      int status = head.status().code();
      if (status >= 200 && status < 300 && !tooLarge) {
        byte[] bytes = ByteBufUtil.getBytes(body);
        long tokens;
        try {
          tokens = adapter.countTokensResponse(Json.parse(bytes));
        } catch (RuntimeException e) {
          estimate();
          return;
        }
        respond(tokens, "provider");
        return;
      }
      String name = target.provider().name();
      String message = name + " answered " + status + ": " + ChatProxy.providerMessage(body);
      if (status == 429 || status == 408 || status >= 500 || tooLarge) {
        estimate();
      } else if (status == 401 || status == 403) {
        error(GatewayError.UPSTREAM_ERROR, name + " refused Spillway's credentials (" + status + "): "
            + ChatProxy.providerMessage(body));
      } else if (status == 404) {
        error(GatewayError.MODEL_NOT_FOUND, message);
      } else if (status == 413) {
        error(GatewayError.REQUEST_TOO_LARGE, message);
      } else {
        error(GatewayError.INVALID_REQUEST, message);
      }
    } finally {
      body.release();
    }
  }

  @Override
  public void onFailure(UpstreamFailure failure) {
    rc.observer().upstreamEnded();
    if (answer != null) {
      answer.release();
      answer = null;
    }
    estimate();
  }

  private void estimate() {
    CompletableFuture<Long> count;
    try {
      count = TokenEstimator.estimate(call.canonical(), target.model());
    } catch (RejectedExecutionException e) {
      HttpHeaders extra = new DefaultHttpHeaders().set(HttpHeaderNames.RETRY_AFTER, "1");
      Responses.error(rc, GatewayError.RATE_LIMIT_EXCEEDED, "token counting is busy on this node; retry shortly",
          null, extra);
      return;
    }
    count.whenComplete((tokens, failure) -> rc.ctx().channel().eventLoop().execute(() -> {
      if (failure != null) {
        error(GatewayError.INTERNAL, "tokens could not be counted: " + failure.getMessage());
      } else {
        respond(tokens, "estimate");
      }
    }));
  }

  private void respond(long tokens, String source) {
    if (clientGone()) {
      return;
    }
    ObjectNode body = Json.object().put("input_tokens", tokens);
    HttpHeaders extra = new DefaultHttpHeaders();
    extra.set(ChatProxy.PROVIDER_HEADER, target.provider().name());
    extra.set(ChatProxy.MODEL_HEADER, target.model());
    extra.set(TOKEN_COUNT_HEADER, source);
    Responses.json(rc, HttpResponseStatus.OK, Json.bytes(body), extra);
  }

  private void error(GatewayError error, String message) {
    if (clientGone()) {
      return;
    }
    Responses.error(rc, error, message, null, null);
  }

  /** A client that hung up was already accounted for by the connection; nothing is written for it. */
  private boolean clientGone() {
    return !rc.ctx().channel().isActive();
  }
}
