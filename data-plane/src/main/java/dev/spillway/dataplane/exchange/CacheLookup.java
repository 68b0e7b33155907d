package dev.spillway.dataplane.exchange;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Stage 4, cache lookup: an answer for the request without calling a provider, or a miss whose answer the cache
 * wants to store. A lookup may complete on another thread (the shared tier lives in PostgreSQL, off the event loop);
 * the pipeline resumes on the request's event loop, and a lookup that does not answer within its time budget must
 * complete as a miss. Only requests whose operation is cacheable are looked up.
 */
public interface CacheLookup {
  /** Finds nothing, stores nothing. */
  CacheLookup NONE = (request, headers) -> CompletableFuture.completedFuture(CacheResult.OFF);

  /**
   * Stage 2: the request's {@code x-spillway-cache…} directives are readable; throws a 400 {@code GatewayException}
   * naming the header otherwise, before anything is reserved.
   */
  default void validate(HttpHeaders headers) {}

  /**
   * What the cache has for {@code request}; {@code headers} are the request's, already validated. Must not throw:
   * a failure completes as a miss.
   */
  CompletionStage<CacheResult> lookup(ExchangeRequest request, HttpHeaders headers);
}
