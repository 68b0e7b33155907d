package dev.spillway.dataplane.exchange;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Stage 4, cache lookup: an answer for the request without calling a provider. A lookup may complete on another
 * thread (the shared tier lives in PostgreSQL, off the event loop); the pipeline resumes on the request's event loop,
 * and a lookup that does not answer within its time budget must complete as a miss. The seam is empty today
 * ({@link #NONE}); the cache fills it.
 */
public interface CacheLookup {
  /** Finds nothing. */
  CacheLookup NONE = request -> CompletableFuture.completedFuture(Optional.empty());

  /** The cached answer for {@code request}, or empty for a miss. */
  CompletionStage<Optional<Answer>> lookup(ExchangeRequest request);
}
