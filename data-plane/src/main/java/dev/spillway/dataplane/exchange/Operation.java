package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.protocol.ProviderAdapter;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.http.HttpResponse;
import java.util.concurrent.CompletionStage;
import java.util.function.UnaryOperator;
import tools.jackson.databind.node.ObjectNode;

/**
 * What one kind of request does at the points where kinds differ — chat in any client API ({@link ChatOperation}),
 * embeddings ({@link EmbeddingsOperation}), token counting ({@link CountTokensOperation}). Everything else (the order
 * of attempts, retries and fallbacks, reading provider errors, aggregation, streaming, client close, settling) is
 * {@link Exchange}'s, written once. One instance per request; called on the request's event loop only.
 */
interface Operation {
  /** The {@code model} the client sent: a route name or {@code <provider>/<model>}. */
  String requestedModel();

  /** The request in its canonical form (read only), for the admit, cache and settle stages. */
  ObjectNode canonical();

  /** Whether the client asked for a streamed answer. */
  default boolean stream() {
    return false;
  }

  /**
   * The session the request belongs to, from its body (OpenAI {@code prompt_cache_key} or {@code user}, Anthropic
   * {@code metadata.user_id}), or null: a sticky route keeps a session on one provider key.
   */
  default String sessionId() {
    return null;
  }

  /** The targets this kind of request may try, from the route's plan; all of them unless overridden. */
  default RouteTable.Plan plan(RouteTable.Plan routePlan) {
    return routePlan;
  }

  /**
   * The provider request for {@code target}, whose adapter is {@code adapter} (null when the node has none for the
   * provider's type). Throws a {@code GatewayException} when the request cannot be expressed for this provider (the
   * client's fault: answered at once), and returns null when this provider cannot answer this kind of request at all
   * and the operation answers locally ({@link #answerLocally}).
   */
  UpstreamRequest request(ProviderAdapter adapter, RouteTable.Target target);

  /**
   * For a 2xx response head: the relay that streams the answer to the client as it arrives, or null when the answer
   * is read whole and handed to {@link #answer}. {@code scrub} removes the attempt's credentials from provider text
   * the relay passes on as it is (a provider's in-band error event).
   */
  default StreamRelay relay(ProviderAdapter adapter, RouteTable.Target target, HttpResponse head,
      UnaryOperator<String> scrub) {
    return null;
  }

  /** The largest complete 2xx answer accepted from a provider, in bytes. */
  int maxAnswerBytes();

  /**
   * A complete 2xx answer, in the client's API. Takes ownership of {@code body}: passes it on in the answer or
   * releases it. Throws when the provider's answer cannot be read.
   */
  Answer answer(ProviderAdapter adapter, RouteTable.Target target, CompositeByteBuf body);

  /**
   * Whether the node can answer this kind of request itself ({@link #answerLocally}) when the provider cannot (see
   * {@link #request}) or fails for a passing reason: unreachable, timeout, rate limit, 5xx, an unreadable answer.
   * When false, such failures go to the client once the attempts run out.
   */
  default boolean answersLocally() {
    return false;
  }

  /**
   * The node's own answer, for {@code target} (the primary). May complete off the event loop, exceptionally with a
   * {@code GatewayException} for an answer that is an error; throws one when it cannot even start.
   */
  default CompletionStage<Answer> answerLocally(RouteTable.Target target) {
    throw new UnsupportedOperationException("this operation does not answer locally");
  }

  /**
   * Whether answers to this request can be cached: a chat request in a client API whose answers the cache can
   * replay (OpenAI chat completions, Anthropic messages).
   */
  default boolean cacheable() {
    return false;
  }

  /**
   * Whether a successful attempt's answer can be kept ({@link #captureForCache}) for the request log: every
   * generation API, the cacheable ones and the others (completions, Responses).
   */
  default boolean capturesAnswers() {
    return cacheable();
  }

  /**
   * From now on, the complete answer of a successful attempt is kept for the cache and the request log
   * ({@link #captured}).
   */
  default void captureForCache() {
    throw new UnsupportedOperationException("this operation is not cacheable");
  }

  /** The successful attempt's answer as kept for the cache, or null. */
  default CapturedAnswer captured() {
    return null;
  }

  /** From now on, keep what each answer says about itself ({@link #answerFacts}) for the request's spans. */
  default void describeAnswers() {}

  /** What the current attempt's answer says about itself, or null when not kept or not arrived. */
  default AnswerFacts answerFacts() {
    return null;
  }

  /**
   * A cached answer (a canonical chat completion, read only) as this request's complete answer in the client's API,
   * with {@code id} as its id.
   */
  default byte[] replay(tools.jackson.databind.node.ObjectNode completion, String id) {
    throw new UnsupportedOperationException("this operation is not cacheable");
  }

  /** The same as the client API's stream: every event, its end marker included. */
  default byte[] replayStream(tools.jackson.databind.node.ObjectNode completion, String id) {
    throw new UnsupportedOperationException("this operation is not cacheable");
  }
}
