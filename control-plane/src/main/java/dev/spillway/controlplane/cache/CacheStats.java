package dev.spillway.controlplane.cache;

import java.math.BigDecimal;
import java.util.List;
import java.util.UUID;

/**
 * What the cache did for one team in a period, from the hourly rollups (counts, savings) and the request events
 * (similarities).
 *
 * @param lookups       requests that looked in the cache (every cache status but {@code bypass}), shadow ones
 *                      included
 * @param shadowLookups semantic lookups in shadow mode ({@code shadow-hit} and {@code shadow-miss})
 * @param shadowHits    shadow lookups whose best candidate would have been served
 * @param histogram     the similarity of the best semantic candidate, per {@link Bucket}, lowest first
 */
public record CacheStats(UUID teamId, String teamName, long lookups, long hitsExact, long hitsSemantic,
    long shadowLookups, long shadowHits, long savedInputTokens, long savedOutputTokens, BigDecimal savedUsd,
    List<Bucket> histogram) {

  public long hits() {
    return hitsExact + hitsSemantic;
  }

  /** Served hits per lookup; 0 without lookups. */
  public double hitRate() {
    return lookups == 0 ? 0 : (double) hits() / lookups;
  }

  /** Would-be hits per shadow lookup; 0 without shadow lookups. */
  public double wouldBeHitRate() {
    return shadowLookups == 0 ? 0 : (double) shadowHits / shadowLookups;
  }

  public long histogramMax() {
    return histogram.stream().mapToLong(Bucket::total).max().orElse(0);
  }

  /**
   * Requests whose best semantic candidate had a similarity in {@code [from, to)} (the last bucket includes 1.0):
   * served as hits, looked up in shadow mode, or missed (below the threshold or refused by the verification gate).
   */
  public record Bucket(double from, double to, long servedHits, long shadow, long misses) {
    public long total() {
      return servedHits + shadow + misses;
    }

    public String label() {
      return from == 0 ? "< " + format(to) : format(from) + "–" + format(to);
    }

    private static String format(double d) {
      return String.format(java.util.Locale.ROOT, "%.2f", d);
    }
  }
}
