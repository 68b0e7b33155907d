package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.usage.Usage;
import java.util.Objects;
import tools.jackson.databind.node.ObjectNode;

/**
 * What stage 4, cache lookup, decided for a request.
 *
 * @param status     for the usage record: {@code hit-exact}, {@code hit-semantic}, {@code miss}, {@code bypass},
 *                   {@code shadow-hit} (a semantic hit in shadow mode: recorded, not served), {@code shadow-miss}
 * @param similarity the best semantic candidate's cosine similarity, or null (no semantic lookup, or no candidate)
 * @param hit        the answer to serve, or null
 * @param write      for a miss whose answer should be stored: what the cache needs to store it (opaque here), or null
 */
public record CacheResult(String status, Double similarity, Hit hit, Object write) {
  public static final String HIT_EXACT = "hit-exact";
  public static final String HIT_SEMANTIC = "hit-semantic";
  public static final String MISS = "miss";
  public static final String BYPASS = "bypass";
  public static final String SHADOW_HIT = "shadow-hit";
  public static final String SHADOW_MISS = "shadow-miss";

  /** The cache is off for this request: no header, no status. */
  public static final CacheResult OFF = new CacheResult(null, null, null, null);

  public CacheResult {
    if (hit != null && write != null) {
      throw new IllegalArgumentException("a hit is not written back");
    }
  }

  public static CacheResult bypass() {
    return new CacheResult(BYPASS, null, null, null);
  }

  /**
   * The value of the {@code x-spillway-cache} response header: a shadow lookup is a miss to the client, which was
   * answered by the provider.
   */
  public String headerValue() {
    if (status == null) {
      return null;
    }
    return status.startsWith("shadow-") ? MISS : status;
  }

  /**
   * A stored answer.
   *
   * @param completion the answer as an OpenAI chat completion (the canonical form); read only
   * @param usage      the tokens the answer stood for when a provider gave it: what serving it saved
   * @param provider   the provider that first gave it, for the price of what was saved; may be null
   * @param model      the upstream model that first gave it; may be null
   */
  public record Hit(ObjectNode completion, Usage usage, String provider, String model) {
    public Hit {
      Objects.requireNonNull(completion, "completion");
      Objects.requireNonNull(usage, "usage");
    }
  }
}
