package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.protocol.StreamTranscript;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.usage.Usage;

/**
 * How one exchange ended, for the settle stage.
 *
 * @param request         the request as admitted
 * @param reservation     what admission reserved for it (to be released now)
 * @param servedBy        the target whose answer reached the client (in part, for a stream cut short), or null (no
 *                        answer, or one the node gave itself)
 * @param attempts        upstream attempts started, retries and fallbacks included
 * @param usage           the tokens the provider reported (so far, for a stream cut short), or {@link Usage#NONE}
 * @param error           the error the request ended with, or null for a complete answer
 * @param clientClosed    whether the client went away before the answer was complete
 * @param startNanos      {@link System#nanoTime()} when the request arrived
 * @param firstByteNanos  {@link System#nanoTime()} when the first streamed bytes went to the client, or 0
 * @param transcript      what a stream relayed, to count its output when the provider reported none; or null
 * @param cache           what the cache stage decided ({@link CacheResult#OFF} when the cache is off)
 * @param answer          the provider's complete answer, kept when the cache stage or the request log asked for it
 *                        and the request succeeded; else null
 * @param errorMessage    what the client was told with {@code error}, or null
 * @param trail           every upstream attempt, in order
 * @param encoder         turns a canonical chat completion into the client API's answer (with the given id), for
 *                        the request log's copy of the answer; null when the log keeps no answer. Thread-safe
 */
public record Outcome(ExchangeRequest request, Admission.Reservation reservation, RouteTable.Target servedBy,
    int attempts, Usage usage, GatewayError error, boolean clientClosed, long startNanos, long firstByteNanos,
    StreamTranscript transcript, CacheResult cache, CapturedAnswer answer, String errorMessage,
    java.util.List<dev.spillway.dataplane.usage.AttemptRecord> trail,
    java.util.function.BiFunction<tools.jackson.databind.node.ObjectNode, String, byte[]> encoder) {

  public Outcome {
    java.util.Objects.requireNonNull(cache, "cache");
    trail = trail == null ? java.util.List.of() : trail;
  }

  /** {@code hit-exact}, {@code hit-semantic}, {@code miss}, {@code bypass}, {@code shadow-…}, or null (cache off). */
  public String cacheStatus() {
    return cache.status();
  }

  /** The answer came from the cache: no provider was called. */
  public boolean cacheHit() {
    return cache.hit() != null;
  }

  /** The status the client saw: the error's, 499 (nginx's convention) when it left early, else 200. */
  public int statusCode() {
    if (error != null) {
      return error.status().code();
    }
    return clientClosed ? 499 : 200;
  }
}
