package dev.spillway.dataplane.cache;

import dev.spillway.semantic.SemanticMatcher;
import java.time.Duration;
import java.util.Map;

/**
 * The node's cache settings (environment, see CONTRACT.md §2). Teams and keys choose the mode, threshold, TTL and
 * shadow mode in the snapshot; what is here are the node's defaults and resources.
 *
 * @param dbUrl           the shared tier's JDBC URL ({@code SPILLWAY_DB_URL}); null: in-memory exact cache only
 * @param dbUser          {@code SPILLWAY_DB_USER}
 * @param dbPassword      {@code SPILLWAY_DB_PASSWORD}; never printed
 * @param dbPoolSize      connections to PostgreSQL ({@code SPILLWAY_DP_CACHE_DB_POOL}, 4)
 * @param lookupBudget    how long a request waits for the shared tier and the embedding before it goes to the
 *                        provider ({@code SPILLWAY_DP_CACHE_BUDGET_MS}, 25)
 * @param memoryBytes     the in-memory tier's bound ({@code SPILLWAY_DP_CACHE_MEMORY_MB}, 64)
 * @param maxTemperature  requests with a higher {@code temperature} skip the semantic cache
 *                        ({@code SPILLWAY_DP_CACHE_MAX_TEMPERATURE}, 1.0)
 * @param defaultTtl      entry lifetime when neither key nor team sets one ({@code SPILLWAY_DP_CACHE_TTL_SECONDS},
 *                        3600)
 * @param defaultThreshold semantic threshold when neither key nor team sets one (the measured default)
 * @param embedThreads    concurrent embeddings ({@code SPILLWAY_DP_CACHE_EMBED_WORKERS}, 1); each uses one core
 */
public record CacheSettings(String dbUrl, String dbUser, String dbPassword, int dbPoolSize, Duration lookupBudget,
    long memoryBytes, double maxTemperature, Duration defaultTtl, double defaultThreshold, int embedThreads) {

  public static final long MAX_TTL_SECONDS = 7 * 24 * 3600;

  public CacheSettings {
    if (dbPoolSize < 1) {
      throw new IllegalArgumentException("SPILLWAY_DP_CACHE_DB_POOL: " + dbPoolSize + " (expected: >= 1)");
    }
    if (lookupBudget.isNegative() || lookupBudget.isZero()) {
      throw new IllegalArgumentException("SPILLWAY_DP_CACHE_BUDGET_MS: " + lookupBudget.toMillis()
          + " (expected: > 0)");
    }
    if (memoryBytes < 0) {
      throw new IllegalArgumentException("SPILLWAY_DP_CACHE_MEMORY_MB: " + memoryBytes / (1024 * 1024)
          + " (expected: >= 0)");
    }
    if (defaultTtl.getSeconds() < 1 || defaultTtl.getSeconds() > MAX_TTL_SECONDS) {
      throw new IllegalArgumentException("SPILLWAY_DP_CACHE_TTL_SECONDS: " + defaultTtl.getSeconds()
          + " (expected: 1-" + MAX_TTL_SECONDS + ")");
    }
    if (embedThreads < 1) {
      throw new IllegalArgumentException("SPILLWAY_DP_CACHE_EMBED_WORKERS: " + embedThreads + " (expected: >= 1)");
    }
  }

  /** No shared tier; defaults for the rest (tests, and nodes started without a database). */
  public static CacheSettings memoryOnly() {
    return from(Map.of());
  }

  public static CacheSettings from(Map<String, String> env) {
    String url = env.get("SPILLWAY_DB_URL");
    return new CacheSettings(url == null || url.isBlank() ? null : url, env.get("SPILLWAY_DB_USER"),
        env.get("SPILLWAY_DB_PASSWORD"),
        Integer.parseInt(env.getOrDefault("SPILLWAY_DP_CACHE_DB_POOL", "4")),
        Duration.ofMillis(Long.parseLong(env.getOrDefault("SPILLWAY_DP_CACHE_BUDGET_MS", "25"))),
        Long.parseLong(env.getOrDefault("SPILLWAY_DP_CACHE_MEMORY_MB", "64")) * 1024 * 1024,
        Double.parseDouble(env.getOrDefault("SPILLWAY_DP_CACHE_MAX_TEMPERATURE", "1.0")),
        Duration.ofSeconds(Long.parseLong(env.getOrDefault("SPILLWAY_DP_CACHE_TTL_SECONDS", "3600"))),
        SemanticMatcher.DEFAULT_THRESHOLD,
        Integer.parseInt(env.getOrDefault("SPILLWAY_DP_CACHE_EMBED_WORKERS", "1")));
  }

  @Override
  public String toString() {
    return "CacheSettings[db=" + (dbUrl == null ? "none" : dbUrl) + ", user=" + dbUser + ", pool=" + dbPoolSize
        + ", budget=" + lookupBudget.toMillis() + "ms, memory=" + memoryBytes / (1024 * 1024) + "MB, maxTemperature="
        + maxTemperature + ", ttl=" + defaultTtl.getSeconds() + "s, threshold=" + defaultThreshold
        + ", embedWorkers=" + embedThreads + "]";
  }
}
