package dev.spillway.dataplane.cache;

import dev.spillway.config.CacheConfig;
import dev.spillway.config.CacheMode;
import dev.spillway.config.TeamConfig;
import dev.spillway.config.VirtualKeyConfig;
import dev.spillway.dataplane.error.GatewayError;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Locale;

/**
 * The cache settings one request runs with: the key's, field by field over its team's, over the node's defaults,
 * then the request's own directives ({@code x-spillway-cache}, {@code -threshold}, {@code -ttl}).
 *
 * @param mode      what may be served: nothing, exact hits, or exact and semantic hits
 * @param threshold the semantic threshold
 * @param ttlSeconds how long an answer stored now may be served
 * @param shadow    semantic lookups are made and recorded but never served
 * @param read      look up (false for {@code refresh})
 */
record CachePolicy(CacheMode mode, double threshold, long ttlSeconds, boolean shadow, boolean read) {
  static final String DIRECTIVE_HEADER = "x-spillway-cache";
  static final String THRESHOLD_HEADER = "x-spillway-cache-threshold";
  static final String TTL_HEADER = "x-spillway-cache-ttl";

  /** Whether the request is looked up or stored at all. */
  boolean engaged() {
    return mode != CacheMode.OFF || shadow;
  }

  /** Whether semantic lookups are made (to serve them, or to record them in shadow mode). */
  boolean semantic() {
    return mode == CacheMode.SEMANTIC || shadow;
  }

  /** The request's directive: {@code default}, {@code bypass} or {@code refresh}. */
  enum Directive { DEFAULT, BYPASS, REFRESH }

  static Directive directive(HttpHeaders headers) {
    String value = headers.get(DIRECTIVE_HEADER);
    if (value == null || value.isBlank()) {
      return Directive.DEFAULT;
    }
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "default" -> Directive.DEFAULT;
      case "bypass", "no-store", "off" -> Directive.BYPASS;
      case "refresh" -> Directive.REFRESH;
      default -> throw GatewayError.INVALID_REQUEST.exception(DIRECTIVE_HEADER + " must be default, bypass or "
          + "refresh, not '" + value + "'", DIRECTIVE_HEADER);
    };
  }

  /** Throws a 400 naming the header for any directive that cannot be read. */
  static void validate(HttpHeaders headers) {
    directive(headers);
    threshold(headers);
    ttl(headers);
  }

  static CachePolicy resolve(VirtualKeyConfig key, TeamConfig team, CacheSettings defaults, HttpHeaders headers) {
    CacheConfig k = key.cache();
    CacheConfig t = team == null ? null : team.cache();
    CacheMode mode = k != null ? k.mode() : t != null ? t.mode() : CacheMode.OFF;
    double threshold = first(k == null ? null : k.threshold(), t == null ? null : t.threshold(),
        defaults.defaultThreshold());
    long ttl = k != null && k.ttlSeconds() != null ? k.ttlSeconds()
        : t != null && t.ttlSeconds() != null ? t.ttlSeconds() : defaults.defaultTtl().getSeconds();
    boolean shadow = k != null && k.shadow() != null ? k.shadow() : t != null && t.shadows();
    Double requestThreshold = threshold(headers);
    Long requestTtl = ttl(headers);
    return new CachePolicy(mode, requestThreshold != null ? requestThreshold : threshold,
        Math.min(requestTtl != null ? requestTtl : ttl, CacheSettings.MAX_TTL_SECONDS), shadow,
        directive(headers) != Directive.REFRESH);
  }

  private static double first(Double a, Double b, double fallback) {
    return a != null ? a : b != null ? b : fallback;
  }

  private static Double threshold(HttpHeaders headers) {
    String value = headers.get(THRESHOLD_HEADER);
    if (value == null) {
      return null;
    }
    try {
      double threshold = Double.parseDouble(value.strip());
      if (threshold >= 0.0 && threshold <= 1.0) {
        return threshold;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw GatewayError.INVALID_REQUEST.exception(THRESHOLD_HEADER + " must be a number from 0.0 to 1.0, not '"
        + value + "'", THRESHOLD_HEADER);
  }

  private static Long ttl(HttpHeaders headers) {
    String value = headers.get(TTL_HEADER);
    if (value == null) {
      return null;
    }
    try {
      long ttl = Long.parseLong(value.strip());
      if (ttl >= 1 && ttl <= CacheSettings.MAX_TTL_SECONDS) {
        return ttl;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw GatewayError.INVALID_REQUEST.exception(TTL_HEADER + " must be whole seconds from 1 to "
        + CacheSettings.MAX_TTL_SECONDS + ", not '" + value + "'", TTL_HEADER);
  }
}
