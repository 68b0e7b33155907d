package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.ProviderAdapter;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.usage.TokenEstimator;
import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /v1/messages/count_tokens}: the input tokens of an Anthropic Messages request, for the route's primary
 * target. A provider with its own count (an {@code anthropic} provider) is asked; for every other provider, or when
 * the provider is unreachable, overloaded or rate-limited, Spillway estimates locally ({@link TokenEstimator}). The
 * answer is Anthropic's, {@code {"input_tokens": N}}, and {@code x-spillway-token-count} says which it is:
 * {@code provider} or {@code estimate}. Not a generation: no retries or fallbacks, no streaming, no usage.
 */
final class CountTokensOperation implements Operation {
  static final AsciiString TOKEN_COUNT_HEADER = AsciiString.cached("x-spillway-token-count");
  private static final int MAX_ANSWER_BYTES = 64 * 1024;

  private final ChatCall call;

  CountTokensOperation(ChatCall call) {
    this.call = Objects.requireNonNull(call, "call");
  }

  @Override
  public String requestedModel() {
    return call.requestedModel();
  }

  @Override
  public ObjectNode canonical() {
    return call.canonical();
  }

  /** The primary target only, once: a count is not worth a retry when the node can estimate. */
  @Override
  public RouteTable.Plan plan(RouteTable.Plan routePlan) {
    return routePlan.primaryOnly();
  }

  @Override
  public UpstreamRequest request(ProviderAdapter adapter, RouteTable.Target target) {
    return adapter == null ? null : adapter.countTokens(target.provider(), target.model(), call);
  }

  @Override
  public int maxAnswerBytes() {
    return MAX_ANSWER_BYTES;
  }

  @Override
  public Answer answer(ProviderAdapter adapter, RouteTable.Target target, CompositeByteBuf body) {
    long tokens;
    try {
      tokens = adapter.countTokensResponse(Json.parse(ByteBufUtil.getBytes(body)));
    } finally {
      body.release();
    }
    return count(tokens, "provider");
  }

  @Override
  public boolean answersLocally() {
    return true;
  }

  @Override
  public CompletionStage<Answer> answerLocally(RouteTable.Target target) {
    try {
      return TokenEstimator.estimate(call.canonical(), target.model())
          .handle((tokens, failure) -> {
            if (failure != null) {
              Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                  ? failure.getCause() : failure;
              throw GatewayError.INTERNAL.exception("tokens could not be counted: " + cause.getMessage());
            }
            return count(tokens, "estimate");
          });
    } catch (RejectedExecutionException e) {
      throw GatewayError.RATE_LIMIT_EXCEEDED.exception("token counting is busy on this node; retry shortly");
    }
  }

  private static Answer count(long tokens, String source) {
    byte[] body = Json.bytes(Json.object().put("input_tokens", tokens));
    HttpHeaders headers = new DefaultHttpHeaders().set(TOKEN_COUNT_HEADER, source);
    return new Answer(Unpooled.wrappedBuffer(body), headers, Usage.NONE);
  }
}
