package dev.spillway.dataplane.cache;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.usage.Usage;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The shared tier: cache entries in PostgreSQL (table {@code cache_entries}, pgvector HNSW for the semantic lookup),
 * reached through a small pool on threads of its own, never from an event loop. Every statement has a timeout, the
 * work queue is bounded (a full queue is a miss, not a wait), and a circuit breaker stops asking a database that
 * keeps failing: requests then go to the provider without waiting for it.
 */
final class SharedTier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SharedTier.class);
  private static final int LOOKUP_TIMEOUT_SECONDS = 1;
  private static final int WRITE_TIMEOUT_SECONDS = 5;

  private final HikariDataSource pool;
  private final ThreadPoolExecutor executor;
  private final CircuitBreaker breaker;
  private final LongAdder failures = new LongAdder();

  /** A semantic candidate: the nearest entry in the request's context, and its similarity. */
  record Nearest(StoredAnswer answer, String promptText, float[] embedding) {}

  SharedTier(CacheSettings settings) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("spillway-cache-db");
    config.setJdbcUrl(settings.dbUrl());
    config.setUsername(settings.dbUser());
    config.setPassword(settings.dbPassword());
    config.setMaximumPoolSize(settings.dbPoolSize());
    config.setMinimumIdle(1);
    config.setConnectionTimeout(250);
    config.setValidationTimeout(250);
    // Start without the database: the node serves, and the tier comes up when PostgreSQL does.
    config.setInitializationFailTimeout(-1);
    config.addDataSourceProperty("connectTimeout", "2");
    config.addDataSourceProperty("socketTimeout", "10");
    config.addDataSourceProperty("tcpKeepAlive", "true");
    config.addDataSourceProperty("ApplicationName", "spillway-node-cache");
    // Filtered nearest-neighbour queries keep scanning the HNSW graph until they find rows of the right team and
    // context, instead of returning nothing when the first candidates belong to others (pgvector 0.8). A search
    // list of 20 instead of 40 halves the search at 100,000 entries (docs/benchmarks.md); one nearest entry is all a
    // lookup needs, and one the search misses is a miss, never a wrong answer.
    config.setConnectionInitSql("SET hnsw.iterative_scan = relaxed_order; SET hnsw.ef_search = 20");
    this.pool = new HikariDataSource(config);
    this.executor = new ThreadPoolExecutor(settings.dbPoolSize(), settings.dbPoolSize(), 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(256), runnable -> {
          Thread thread = new Thread(runnable, "cache-db");
          thread.setDaemon(true);
          return thread;
        });
    this.breaker = CircuitBreaker.of("cache-db", CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(10)
        .minimumNumberOfCalls(3)
        .failureRateThreshold(50)
        .waitDurationInOpenState(Duration.ofSeconds(5))
        .permittedNumberOfCallsInHalfOpenState(1)
        .build());
  }

  /** Runs {@code work} on the tier's threads; fails at once when the queue is full or the breaker is open. */
  <T> CompletableFuture<T> submit(Supplier<T> work) {
    if (!breaker.tryAcquirePermission()) {
      return CompletableFuture.failedFuture(new IllegalStateException("the cache database is failing; not asked"));
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    try {
      executor.execute(() -> {
        long start = System.nanoTime();
        try {
          T value = work.get();
          breaker.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
          result.complete(value);
        } catch (RuntimeException e) {
          breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, e);
          failures.increment();
          log.debug("cache database call failed", e);
          result.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      breaker.releasePermission();
      result.completeExceptionally(e);
    }
    return result;
  }

  long failures() {
    return failures.sum();
  }

  boolean available() {
    return breaker.getState() != CircuitBreaker.State.OPEN;
  }

  /** The live entry stored for exactly this request by this team. Blocking: call through {@link #submit}. */
  Optional<StoredAnswer> exact(String teamId, String requestHash) {
    String sql = """
        SELECT key_id, response, input_tokens, output_tokens, provider, served_model, created_at, expires_at
        FROM cache_entries WHERE team_id = ? AND request_hash = ? AND expires_at > now()""";
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setQueryTimeout(LOOKUP_TIMEOUT_SECONDS);
      ps.setObject(1, UUID.fromString(teamId));
      ps.setString(2, requestHash);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(answer(teamId, rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cache lookup failed: " + e.getMessage(), e);
    }
  }

  /**
   * The live entry of this team and context whose prompt embedding is nearest to {@code embedding} (cosine), made
   * by the same embedding model. Blocking: call through {@link #submit}.
   */
  Optional<Nearest> nearest(String teamId, String contextHash, String embeddingModel, float[] embedding) {
    String sql = """
        SELECT key_id, response, input_tokens, output_tokens, provider, served_model, created_at, expires_at,
               prompt_text, embedding::text AS vector
        FROM cache_entries
        WHERE team_id = ? AND context_hash = ? AND embedding_model = ? AND expires_at > now()
        ORDER BY embedding <=> ?::vector LIMIT 1""";
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setQueryTimeout(LOOKUP_TIMEOUT_SECONDS);
      ps.setObject(1, UUID.fromString(teamId));
      ps.setString(2, contextHash);
      ps.setString(3, embeddingModel);
      ps.setString(4, vector(embedding));
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new Nearest(answer(teamId, rs), rs.getString("prompt_text"),
            parseVector(rs.getString("vector"))));
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cache lookup failed: " + e.getMessage(), e);
    }
  }

  /** An entry to store. */
  record Entry(String teamId, String keyId, String requestHash, String contextHash, String model,
      String embeddingModel, float[] embedding, String promptText, byte[] response, Usage usage, String provider,
      String servedModel, Instant storedAt, Instant expiresAt) {}

  /** Stores (or replaces) the team's entry for this request. Blocking: call through {@link #submit}. */
  void upsert(Entry e) {
    String sql = """
        INSERT INTO cache_entries (team_id, key_id, request_hash, context_hash, model, embedding_model, embedding,
                                   prompt_text, response, response_kind, input_tokens, output_tokens, provider,
                                   served_model, created_at, expires_at)
        VALUES (?, ?, ?, ?, ?, ?, ?::vector, ?, ?, 'openai-chat', ?, ?, ?, ?, ?, ?)
        ON CONFLICT (team_id, request_hash) DO UPDATE SET
          key_id = EXCLUDED.key_id, context_hash = EXCLUDED.context_hash, model = EXCLUDED.model,
          embedding_model = EXCLUDED.embedding_model, embedding = EXCLUDED.embedding,
          prompt_text = EXCLUDED.prompt_text, response = EXCLUDED.response, input_tokens = EXCLUDED.input_tokens,
          output_tokens = EXCLUDED.output_tokens, provider = EXCLUDED.provider,
          served_model = EXCLUDED.served_model, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at,
          hit_count = 0, last_hit_at = NULL""";
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setQueryTimeout(WRITE_TIMEOUT_SECONDS);
      ps.setObject(1, UUID.fromString(e.teamId()));
      ps.setObject(2, uuidOrNull(e.keyId()));
      ps.setString(3, e.requestHash());
      ps.setString(4, e.contextHash());
      ps.setString(5, e.model());
      ps.setString(6, e.embedding() == null ? null : e.embeddingModel());
      ps.setString(7, e.embedding() == null ? null : vector(e.embedding()));
      ps.setString(8, e.promptText());
      ps.setBytes(9, e.response());
      ps.setInt(10, (int) Math.min(Integer.MAX_VALUE, e.usage().inputTokens()));
      ps.setInt(11, (int) Math.min(Integer.MAX_VALUE, e.usage().outputTokens()));
      ps.setString(12, e.provider());
      ps.setString(13, e.servedModel());
      ps.setTimestamp(14, Timestamp.from(e.storedAt()));
      ps.setTimestamp(15, Timestamp.from(e.expiresAt()));
      ps.executeUpdate();
    } catch (SQLException ex) {
      throw new IllegalStateException("cache write failed: " + ex.getMessage(), ex);
    }
  }

  private static StoredAnswer answer(String teamId, ResultSet rs) throws SQLException {
    byte[] response = rs.getBytes("response");
    JsonNode parsed = Json.parse(response);
    if (!(parsed instanceof ObjectNode completion)) {
      throw new IllegalStateException("a cache entry's response is not a JSON object");
    }
    Object keyId = rs.getObject("key_id");
    return new StoredAnswer(teamId, keyId == null ? null : keyId.toString(), completion,
        new Usage(rs.getInt("input_tokens"), rs.getInt("output_tokens"), 0),
        rs.getString("provider"), rs.getString("served_model"), rs.getTimestamp("created_at").toInstant(),
        rs.getTimestamp("expires_at").toInstant(), response.length + 256);
  }

  /** Key ids are UUIDs in every snapshot the control plane makes; anything else is not recorded. */
  private static UUID uuidOrNull(String id) {
    try {
      return id == null ? null : UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  static String vector(float[] v) {
    StringBuilder b = new StringBuilder(v.length * 12 + 2).append('[');
    for (int i = 0; i < v.length; i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append(v[i]);
    }
    return b.append(']').toString();
  }

  static float[] parseVector(String text) {
    String body = text.substring(text.indexOf('[') + 1, text.lastIndexOf(']'));
    if (body.isBlank()) {
      return new float[0];
    }
    String[] parts = body.split(",");
    float[] v = new float[parts.length];
    for (int i = 0; i < parts.length; i++) {
      v[i] = Float.parseFloat(parts[i]);
    }
    return v;
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pool.close();
  }
}
