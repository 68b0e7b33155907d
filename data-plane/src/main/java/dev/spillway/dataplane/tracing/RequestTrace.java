package dev.spillway.dataplane.tracing;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.metrics.RequestObserver;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.usage.Usage;
import java.util.List;

/**
 * The trace of one proxied request, as the request path reports to it. Every method has a no-op default, so callers
 * never check whether tracing is on; {@link #NONE} does nothing at all.
 *
 * <p>All calls for one request come from its event loop, in this order: {@link #resolved} once the model is known
 * (not for a request refused while parsing), then per upstream attempt {@link #attemptStarted}, at most one
 * {@link #attemptResponded}, one {@link #attemptEnded}; {@link #firstChunk} when a stream's first content goes to the
 * client; and last exactly one of {@link #ended} or {@link #failed}. Extra calls after the end are ignored.
 * Implementations must not block and must never throw into the request.
 */
public interface RequestTrace {
  /** Traces nothing and propagates nothing. */
  RequestTrace NONE = new RequestTrace() {};

  /** The request's model resolved to a plan: who calls and what. */
  default void resolved(String keyId, String teamId, String route, String requestedModel) {}

  /**
   * An attempt to {@code target} is about to be sent as {@code request}: the trace context goes into its headers
   * ({@code traceparent}, {@code tracestate}).
   */
  default void attemptStarted(RouteTable.Target target, RequestObserver.Attempt kind, UpstreamRequest request) {}

  /** The current attempt's response head arrived with {@code status}. */
  default void attemptResponded(int status) {}

  /**
   * The current attempt's response is over (complete, failed or cancelled). {@code errorType} names a failure
   * without a usable status (a timeout, a refused connection, an unreadable stream, a client that left), else null:
   * an error status from {@link #attemptResponded} speaks for itself.
   */
  default void attemptEnded(String errorType) {}

  /**
   * Whether this trace records what answers say about themselves ({@link #answered}): asked once per request, so
   * that no answer is read for a trace that would drop what it says.
   */
  default boolean recordsAnswers() {
    return false;
  }

  /**
   * The serving attempt's answer, just before {@link #ended}: the model the provider says answered (null when it
   * said none) and why each choice stopped (empty when it gave no reason).
   */
  default void answered(String responseModel, List<String> finishReasons) {}

  /**
   * Whether this trace puts content on spans where a request's policy keeps it ({@link #content}); asked once the
   * request is settled.
   */
  default boolean recordsContent() {
    return false;
  }

  /** The request's content, just before {@link #ended}, for the serving attempt's span. */
  default void content(SpanContent content) {}

  /** A streamed answer's first content went to the client (time to first chunk). */
  default void firstChunk() {}

  /**
   * The request is settled (stage 7).
   *
   * @param status       the status the client got (499 when it left first)
   * @param error        the error the request ended with, or null
   * @param usage        the tokens of the answer
   * @param servedBy     the target whose answer reached the client, or null (an error, the cache, the node itself)
   * @param attempts     upstream attempts made, retries and fallbacks included
   * @param cache        the cache's result ({@code hit-exact}, {@code miss}, …), or null when the cache is off
   */
  default void ended(int status, GatewayError error, Usage usage, RouteTable.Target servedBy, int attempts,
      String cache) {}

  /** The request was refused before it ran (invalid body, unknown model, a limit): {@code error} says why. */
  default void failed(GatewayError error) {}
}
