package dev.spillway.controlplane.requestlog;

import dev.spillway.controlplane.common.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The filters of a request-log listing, parsed and checked: a malformed value is a 400 naming its parameter. The
 * time range is always bounded ({@code [from, to)}), so PostgreSQL reads only the monthly partitions it spans.
 *
 * @param status      an exact status code ({@code 429}) or a class ({@code 4xx}); null for any
 * @param cache       a cache result ({@code hit-exact}, {@code miss}, …) or {@code hit} for any hit; null for any
 * @param after       the keyset cursor: rows strictly older than this position; null for the newest page
 */
public record RequestLogQuery(String requestId, UUID teamId, UUID keyId, String route, String provider, String model,
    StatusFilter status, String cache, Long minLatencyMs, Instant from, Instant to, int limit, Cursor after) {

  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 500;
  /** Without {@code from}, a listing covers this much time before {@code to}. */
  public static final Duration DEFAULT_RANGE = Duration.ofHours(24);
  /**
   * A search by request id without {@code from} looks this far back (the longest retention a team can have), so an
   * id found in a log line or an error body is found whatever its age; the request-id index keeps that cheap.
   */
  public static final Duration REQUEST_ID_RANGE = Duration.ofDays(3650);
  private static final Pattern WORD = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

  /** An exact status code, or a class of them: {@code [min, max]}. */
  public record StatusFilter(int min, int max) {
    public static StatusFilter parse(String value) {
      if (value == null || value.isBlank()) {
        return null;
      }
      String v = value.strip().toLowerCase(java.util.Locale.ROOT);
      if (v.matches("[1-5]xx")) {
        int base = (v.charAt(0) - '0') * 100;
        return new StatusFilter(base, base + 99);
      }
      if (v.matches("[1-5][0-9][0-9]")) {
        int code = Integer.parseInt(v);
        return new StatusFilter(code, code);
      }
      throw ApiException.invalid("status", "must be a status code such as 429 or a class such as 2xx, 4xx, 5xx "
          + "(got '" + shorten(value) + "')");
    }

    /** As the filter was written: {@code 429} or {@code 4xx}. */
    public String text() {
      return min == max ? Integer.toString(min) : (min / 100) + "xx";
    }
  }

  /** A position in the listing's order (time descending, then request id descending). */
  public record Cursor(Instant time, String requestId) {
    public String encode() {
      String raw = time.getEpochSecond() + "." + time.getNano() + ":" + requestId;
      return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    public static Cursor decode(String value) {
      if (value == null || value.isBlank()) {
        return null;
      }
      try {
        String raw = new String(Base64.getUrlDecoder().decode(value.strip()), StandardCharsets.UTF_8);
        int colon = raw.indexOf(':');
        int dot = raw.indexOf('.');
        if (colon < 0 || dot < 0 || dot > colon) {
          throw new IllegalArgumentException("no position");
        }
        Instant time = Instant.ofEpochSecond(Long.parseLong(raw.substring(0, dot)),
            Long.parseLong(raw.substring(dot + 1, colon)));
        return new Cursor(time, raw.substring(colon + 1));
      } catch (IllegalArgumentException | java.time.DateTimeException | ArithmeticException e) {
        throw ApiException.invalid("cursor", "is not a cursor this API returned (use next_cursor as it is)");
      }
    }
  }

  /** The raw parameters, as the API and the dashboard receive them; blank means absent. */
  public record Params(String requestId, String teamId, String keyId, String route, String provider, String model,
      String status, String cache, String minLatencyMs, String from, String to, String limit, String cursor) {}

  public static RequestLogQuery parse(Params p, Instant now) {
    String requestId = text("request_id", p.requestId(), 200);
    Instant to = instant("to", p.to());
    Instant from = instant("from", p.from());
    if (to == null) {
      // A minute ahead: a node's clock a little ahead of ours must not hide its newest requests.
      to = now.plus(Duration.ofMinutes(1));
    }
    if (from == null) {
      from = to.minus(requestId != null ? REQUEST_ID_RANGE : DEFAULT_RANGE);
    }
    if (!from.isBefore(to)) {
      throw ApiException.invalid("to", "must be after from");
    }
    Long minLatency = null;
    if (blank(p.minLatencyMs()) != null) {
      minLatency = number("min_latency_ms", p.minLatencyMs(), 0, Long.MAX_VALUE);
    }
    int limit = blank(p.limit()) == null ? DEFAULT_LIMIT
        : (int) number("limit", p.limit(), 1, MAX_LIMIT);
    String cache = blank(p.cache());
    if (cache != null) {
      cache = cache.toLowerCase(java.util.Locale.ROOT);
      if (!WORD.matcher(cache).matches()) {
        throw ApiException.invalid("cache", "must be a cache result such as hit, hit-exact, hit-semantic, miss or "
            + "bypass");
      }
    }
    return new RequestLogQuery(requestId, id("team_id", p.teamId()), id("key_id", p.keyId()),
        text("route", p.route(), 200), text("provider", p.provider(), 200), text("model", p.model(), 200),
        StatusFilter.parse(p.status()), cache, minLatency, from, to, limit, Cursor.decode(p.cursor()));
  }

  /**
   * An ISO-8601 instant ({@code 2026-12-07T10:00:00Z}, with or without an offset); a time without a zone (what a
   * browser's {@code datetime-local} field sends) is UTC, like everything on the dashboard.
   */
  public static Instant instant(String field, String value) {
    String v = blank(value);
    if (v == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(v).toInstant();
    } catch (DateTimeParseException e) {
      try {
        return LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
      } catch (DateTimeParseException e2) {
        throw ApiException.invalid(field, "must be an ISO-8601 time such as 2026-01-31T00:00:00Z");
      }
    }
  }

  private static UUID id(String field, String value) {
    String v = blank(value);
    if (v == null) {
      return null;
    }
    try {
      return UUID.fromString(v);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(field, "is not an id");
    }
  }

  private static long number(String field, String value, long min, long max) {
    long n;
    try {
      n = Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw ApiException.invalid(field, "must be a whole number (got '" + shorten(value) + "')");
    }
    if (n < min || n > max) {
      throw ApiException.invalid(field, n + " (expected: " + min + " to " + max + ")");
    }
    return n;
  }

  private static String text(String field, String value, int max) {
    String v = blank(value);
    if (v != null && v.length() > max) {
      throw ApiException.invalid(field, "is longer than " + max + " characters");
    }
    return v;
  }

  private static String blank(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }

  private static String shorten(String value) {
    return value.length() <= 40 ? value : value.substring(0, 40) + "…";
  }
}
