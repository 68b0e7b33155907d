package dev.spillway.controlplane.usage;

/** SQL shared by everything that adds rows to the hourly rollups ({@code usage_hourly}). */
final class UsageHourly {
  /**
   * Adds a new rollup row's sums to the row already there: ingestion and the retention job's monthly fold both end
   * their upsert with it, so a column added to the rollups is summed by both or by neither.
   */
  static final String ADD_ON_CONFLICT = """
      ON CONFLICT (hour, key_id, provider, model) DO UPDATE SET
        requests = h.requests + EXCLUDED.requests,
        errors = h.errors + EXCLUDED.errors,
        input_tokens = h.input_tokens + EXCLUDED.input_tokens,
        output_tokens = h.output_tokens + EXCLUDED.output_tokens,
        cached_input_tokens = h.cached_input_tokens + EXCLUDED.cached_input_tokens,
        reasoning_tokens = h.reasoning_tokens + EXCLUDED.reasoning_tokens,
        cost_usd = h.cost_usd + EXCLUDED.cost_usd,
        cache_hits = h.cache_hits + EXCLUDED.cache_hits,
        latency_ms_sum = h.latency_ms_sum + EXCLUDED.latency_ms_sum,
        unpriced_requests = h.unpriced_requests + EXCLUDED.unpriced_requests,
        shadow_refusals = h.shadow_refusals + EXCLUDED.shadow_refusals,
        refusals = h.refusals + EXCLUDED.refusals,
        cache_saved_usd = h.cache_saved_usd + EXCLUDED.cache_saved_usd,
        cache_saved_input_tokens = h.cache_saved_input_tokens + EXCLUDED.cache_saved_input_tokens,
        cache_saved_output_tokens = h.cache_saved_output_tokens + EXCLUDED.cache_saved_output_tokens,
        cache_lookups = h.cache_lookups + EXCLUDED.cache_lookups,
        cache_shadow_hits = h.cache_shadow_hits + EXCLUDED.cache_shadow_hits,
        cache_semantic_hits = h.cache_semantic_hits + EXCLUDED.cache_semantic_hits,
        cache_shadow_lookups = h.cache_shadow_lookups + EXCLUDED.cache_shadow_lookups
      """;

  private UsageHourly() {}
}
