package dev.spillway.dataplane.cache;

import dev.spillway.semantic.Embedder;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process embedding model, loaded once per node in the background the first time a request needs it (a
 * node whose teams never turn the semantic cache on never loads it), and the bounded pool embeddings run on. Until
 * the model is loaded, and whenever the pool is full, semantic lookups are misses: a request never waits for a
 * model.
 */
final class Embeddings implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Embeddings.class);

  private final Supplier<Embedder> loader;
  private final ThreadPoolExecutor executor;
  private final AtomicBoolean loading = new AtomicBoolean();
  private final java.util.concurrent.CountDownLatch loaded = new java.util.concurrent.CountDownLatch(1);
  private volatile Embedder embedder;

  Embeddings(Supplier<Embedder> loader, int workers) {
    this.loader = loader;
    this.executor = new ThreadPoolExecutor(workers, workers, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(64),
        runnable -> {
          Thread thread = new Thread(runnable, "cache-embed");
          thread.setDaemon(true);
          return thread;
        });
  }

  /** The model, or null while it loads (the first call starts loading it). */
  Embedder model() {
    Embedder loaded = embedder;
    if (loaded == null && loading.compareAndSet(false, true)) {
      Thread thread = new Thread(this::load, "cache-embed-load");
      thread.setDaemon(true);
      thread.start();
    }
    return loaded;
  }

  private void load() {
    long start = System.nanoTime();
    try {
      Embedder loaded = loader.get();
      // The first inference pays for ONNX Runtime's lazy set-up; a request should not.
      loaded.embed("warm up the embedding model");
      embedder = loaded;
      log.info("semantic cache: embedding model {} loaded in {} ms", loaded.modelName(),
          (System.nanoTime() - start) / 1_000_000);
    } catch (RuntimeException | LinkageError e) {
      log.error("semantic cache: the embedding model could not be loaded; semantic lookups miss", e);
    } finally {
      loaded.countDown();
    }
  }

  /**
   * The model, waiting up to {@code timeout} for it to load (starting it if need be); null if it is not there by
   * then. For the writer thread only: an answer stored while the model loads still gets its embedding.
   */
  Embedder awaitModel(java.time.Duration timeout) {
    Embedder model = model();
    if (model != null) {
      return model;
    }
    try {
      loaded.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return embedder;
  }

  /** Embeds on the pool; fails at once when the model is not loaded or the pool is full. */
  CompletableFuture<float[]> embed(String normalisedText) {
    Embedder model = model();
    if (model == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("the embedding model is loading"));
    }
    try {
      return CompletableFuture.supplyAsync(() -> model.embed(normalisedText), executor);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
