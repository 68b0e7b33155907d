package dev.spillway.controlplane.common;

import dev.spillway.config.BudgetConfig;
import dev.spillway.config.BudgetPeriod;
import dev.spillway.config.CacheConfig;
import dev.spillway.config.CacheMode;
import dev.spillway.config.ContentPolicy;
import dev.spillway.config.LoggingConfig;
import dev.spillway.config.OnUnreachable;
import dev.spillway.config.RateLimitConfig;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import tools.jackson.databind.json.JsonMapper;

/** Field checks shared by the admin API's request bodies; each failure names the field. */
public final class Fields {
  private static final Pattern SLUG = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
  private static final BigDecimal MAX_BUDGET = new BigDecimal("1000000000");
  /**
   * The longest cache TTL, 7 days: snapshots carry cache invalidations for this long, so no entry may outlive the
   * invalidation that covers it.
   */
  public static final int MAX_CACHE_TTL_SECONDS = 7 * 24 * 3600;
  /** Metadata of a team or key: it travels in every snapshot and every audit event, so it stays small. */
  public static final int MAX_METADATA_ENTRIES = 50;
  public static final int MAX_METADATA_NAME_LENGTH = 100;
  /** Bytes of one value as JSON. */
  public static final int MAX_METADATA_VALUE_BYTES = 4 * 1024;
  /** Bytes of the whole object as JSON. */
  public static final int MAX_METADATA_BYTES = 16 * 1024;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private Fields() {}

  public static String requireName(String field, String value, int maxLength) {
    if (value == null || value.isBlank()) {
      throw ApiException.invalid(field, "is required");
    }
    String trimmed = value.strip();
    if (trimmed.length() > maxLength) {
      throw ApiException.invalid(field, "is longer than " + maxLength + " characters");
    }
    if (trimmed.chars().anyMatch(Character::isISOControl)) {
      throw ApiException.invalid(field, "contains control characters");
    }
    return trimmed;
  }

  public static String requireSlug(String field, String value) {
    if (value == null || value.isBlank()) {
      throw ApiException.invalid(field, "is required");
    }
    if (!SLUG.matcher(value).matches()) {
      throw ApiException.invalid(field, "must be 1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a "
          + "letter or digit (got '" + value + "')");
    }
    return value;
  }

  /** An absolute http(s) URL without user info or fragment; custom provider URLs are validated this strictly. */
  public static String optionalHttpUrl(String field, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    URI uri;
    try {
      uri = new URI(value.strip());
    } catch (URISyntaxException e) {
      throw ApiException.invalid(field, "is not a valid URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw ApiException.invalid(field, "must start with http:// or https://");
    }
    if (uri.getHost() == null || uri.getHost().isBlank()) {
      throw ApiException.invalid(field, "has no host");
    }
    if (uri.getUserInfo() != null) {
      throw ApiException.invalid(field, "must not contain credentials; use provider keys");
    }
    if (uri.getFragment() != null || uri.getQuery() != null) {
      throw ApiException.invalid(field, "must not have a query or fragment");
    }
    String normalized = uri.toString();
    return normalized.endsWith("/") ? normalized.substring(0, normalized.length() - 1) : normalized;
  }

  /**
   * Caps a metadata object (count, name length, bytes per value, bytes in all), each refusal naming the field:
   * {@code metadata} for the object, {@code metadata.<name>} for one value. Null is no metadata.
   */
  public static Map<String, Object> metadata(String field, Map<String, Object> metadata) {
    if (metadata == null) {
      return Map.of();
    }
    if (metadata.size() > MAX_METADATA_ENTRIES) {
      throw ApiException.invalid(field, "has more than " + MAX_METADATA_ENTRIES + " entries");
    }
    for (Map.Entry<String, Object> entry : metadata.entrySet()) {
      String name = entry.getKey();
      if (name.isEmpty() || name.length() > MAX_METADATA_NAME_LENGTH
          || name.chars().anyMatch(Character::isISOControl)) {
        throw ApiException.invalid(field, "names must be 1-" + MAX_METADATA_NAME_LENGTH
            + " characters without control characters");
      }
      int bytes = JSON.writeValueAsBytes(entry.getValue()).length;
      if (bytes > MAX_METADATA_VALUE_BYTES) {
        throw ApiException.invalid(field + "." + name, "is " + bytes + " bytes as JSON (at most "
            + MAX_METADATA_VALUE_BYTES + ")");
      }
    }
    int total = JSON.writeValueAsBytes(metadata).length;
    if (total > MAX_METADATA_BYTES) {
      throw ApiException.invalid(field, "is " + total + " bytes as JSON (at most " + MAX_METADATA_BYTES + ")");
    }
    return metadata;
  }

  public static BudgetConfig budget(String field, BudgetBody body) {
    if (body == null) {
      return null;
    }
    if (body.limitUsd() == null) {
      throw ApiException.invalid(field + ".limit_usd", "is required");
    }
    if (body.limitUsd().signum() < 0) {
      throw ApiException.invalid(field + ".limit_usd", "must be >= 0 (got " + body.limitUsd().toPlainString() + ")");
    }
    if (body.limitUsd().compareTo(MAX_BUDGET) > 0) {
      throw ApiException.invalid(field + ".limit_usd", "must be <= " + MAX_BUDGET.toPlainString());
    }
    if (body.limitUsd().scale() > 6) {
      throw ApiException.invalid(field + ".limit_usd", "has more than 6 decimal places");
    }
    String period = body.period() == null ? "monthly" : body.period();
    BudgetPeriod parsed = BudgetPeriod.find(period).orElseThrow(() -> ApiException.invalid(field + ".period",
        "must be one of daily, weekly, monthly, total (got '" + period + "')"));
    OnUnreachable onUnreachable = null;
    if (body.onUnreachable() != null) {
      onUnreachable = OnUnreachable.find(body.onUnreachable()).orElseThrow(() -> ApiException.invalid(
          field + ".on_unreachable", "must be fail_closed or fail_open (got '" + body.onUnreachable() + "')"));
    }
    // Absent modes (null) become the record's defaults: enforced, failing closed.
    return new BudgetConfig(body.limitUsd(), parsed, body.enforce(), onUnreachable);
  }

  public static RateLimitConfig rateLimit(String field, RateLimitBody body) {
    if (body == null) {
      return null;
    }
    positive(field + ".rpm", body.rpm());
    positive(field + ".tpm", body.tpm());
    positive(field + ".max_concurrent", body.maxConcurrent());
    if (body.rpm() == null && body.tpm() == null && body.maxConcurrent() == null) {
      throw ApiException.invalid(field, "needs at least one of rpm, tpm, max_concurrent (or null for no limit)");
    }
    return new RateLimitConfig(body.rpm(), body.tpm(), body.maxConcurrent(), body.enforce());
  }

  public static CacheConfig cache(String field, CacheBody body) {
    if (body == null) {
      return null;
    }
    if (body.mode() == null) {
      throw ApiException.invalid(field + ".mode", "is required (off, exact or semantic)");
    }
    CacheMode mode = CacheMode.find(body.mode()).orElseThrow(() -> ApiException.invalid(field + ".mode",
        "must be one of off, exact, semantic (got '" + body.mode() + "')"));
    if (body.threshold() != null && (body.threshold() < 0.0 || body.threshold() > 1.0 || body.threshold().isNaN())) {
      throw ApiException.invalid(field + ".threshold", "must be between 0.0 and 1.0");
    }
    if (body.ttlSeconds() != null && (body.ttlSeconds() <= 0 || body.ttlSeconds() > MAX_CACHE_TTL_SECONDS)) {
      throw ApiException.invalid(field + ".ttl_seconds", "must be between 1 and " + MAX_CACHE_TTL_SECONDS
          + " (7 days) (got " + body.ttlSeconds() + ")");
    }
    // Shadow off is stored as absent, so that "false" and a missing field are one setting, not two.
    Boolean shadow = Boolean.TRUE.equals(body.shadow()) ? true : null;
    return new CacheConfig(mode, body.threshold(), body.ttlSeconds(), shadow);
  }

  /**
   * Request-log settings; null when there are none (absent, or every field absent), so that "no settings" is stored
   * one way only. An empty {@code redact} list is no list.
   */
  public static LoggingConfig logging(String field, LoggingBody body) {
    if (body == null) {
      return null;
    }
    ContentPolicy content = null;
    if (body.content() != null) {
      content = ContentPolicy.find(body.content()).orElseThrow(() -> ApiException.invalid(field + ".content",
          "must be one of none, redacted, full (got '" + body.content() + "')"));
    }
    Integer retention = body.retentionDays();
    if (retention != null && (retention < 1 || retention > LoggingConfig.MAX_RETENTION_DAYS)) {
      throw ApiException.invalid(field + ".retention_days", "must be between 1 and "
          + LoggingConfig.MAX_RETENTION_DAYS + " (got " + retention + ")");
    }
    List<String> redact = body.redact() == null || body.redact().isEmpty() ? null : body.redact();
    if (redact != null) {
      if (redact.size() > LoggingConfig.MAX_PATTERNS) {
        throw ApiException.invalid(field + ".redact", "has more than " + LoggingConfig.MAX_PATTERNS + " patterns");
      }
      for (int i = 0; i < redact.size(); i++) {
        redactPattern(field + ".redact[" + i + "]", redact.get(i));
      }
    }
    if (content == null && retention == null && redact == null) {
      return null;
    }
    return new LoggingConfig(content, retention, redact);
  }

  /**
   * A redaction pattern: a Java regular expression of 1-{@value LoggingConfig#MAX_PATTERN_LENGTH} characters. Control
   * characters are refused (write {@code \t} or {@code \x1f}): snapshots carry the patterns joined by one.
   */
  private static void redactPattern(String field, String pattern) {
    if (pattern == null || pattern.isEmpty()) {
      throw ApiException.invalid(field, "is empty (a pattern must have 1-" + LoggingConfig.MAX_PATTERN_LENGTH
          + " characters)");
    }
    if (pattern.length() > LoggingConfig.MAX_PATTERN_LENGTH) {
      throw ApiException.invalid(field, "is longer than " + LoggingConfig.MAX_PATTERN_LENGTH + " characters");
    }
    if (pattern.chars().anyMatch(Character::isISOControl)) {
      throw ApiException.invalid(field, "contains control characters (write them as escapes, e.g. \\t)");
    }
    try {
      Pattern.compile(pattern);
    } catch (PatternSyntaxException e) {
      throw ApiException.invalid(field, "is not a regular expression: " + e.getDescription() + " near index "
          + e.getIndex());
    }
  }

  private static void positive(String field, Integer value) {
    if (value != null && value <= 0) {
      throw ApiException.invalid(field, "must be > 0 (got " + value + ")");
    }
  }
}
