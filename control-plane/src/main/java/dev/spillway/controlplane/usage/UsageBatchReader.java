package dev.spillway.controlplane.usage;

import dev.spillway.controlplane.common.ApiException;
import java.io.BufferedReader;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a batch of usage events: NDJSON (one JSON object per line, blank lines skipped), optionally gzipped. The
 * whole batch is checked before anything is stored: the first bad line fails it with a 400 that names the line and
 * the field ({@code line 3: input_tokens: must be >= 0}), because the node quarantines a refused batch as a whole.
 * A batch over {@link #MAX_BYTES} (decompressed) or {@link #MAX_LINES} is refused with 413 as soon as it is seen to
 * be, so a gzip bomb costs at most that much memory. Unknown fields are ignored: newer nodes may send more.
 */
public final class UsageBatchReader {
  /** Decompressed size limit of one batch. */
  public static final long MAX_BYTES = 64L * 1024 * 1024;
  /** Events per batch. */
  public static final int MAX_LINES = 20_000;

  static final int MAX_ID_LENGTH = 200;
  static final int MAX_TEXT_LENGTH = 1000;
  private static final BigDecimal MAX_COST = new BigDecimal("1000000000");
  private static final Set<String> USAGE_SOURCES = Set.of("provider", "estimated", "none");
  private static final Pattern UUID_TEXT =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final JsonMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private UsageBatchReader() {}

  /** The events of a batch, in the order sent (duplicates included; storing recognises them). */
  public static List<UsageEvent> read(InputStream body, boolean gzipped) throws IOException {
    InputStream decoded = new Limited(body);
    if (gzipped) {
      try {
        decoded = new Limited(new GZIPInputStream(body, 64 * 1024));
      } catch (ZipException | EOFException e) {
        throw ApiException.malformed("body is not gzip (Content-Encoding: gzip)");
      }
    }
    var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    List<UsageEvent> events = new ArrayList<>();
    int lineNumber = 0;
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(decoded, decoder), 64 * 1024)) {
      String line;
      while ((line = lines.readLine()) != null) {
        lineNumber++;
        if (line.isBlank()) {
          continue;
        }
        if (events.size() == MAX_LINES) {
          throw ApiException.tooLarge("batch has more than " + MAX_LINES + " events; send at most " + MAX_LINES
              + " lines per request");
        }
        try {
          events.add(parse(line));
        } catch (ApiException e) {
          throw e.at("line " + lineNumber);
        }
      }
    } catch (ZipException | EOFException e) {
      throw ApiException.malformed("body is not valid gzip: " + e.getMessage());
    } catch (CharacterCodingException e) {
      throw ApiException.malformed("line " + (lineNumber + 1) + ": is not UTF-8");
    }
    return events;
  }

  /** One line; failures name the field. */
  static UsageEvent parse(String line) {
    JsonNode n;
    try {
      n = JSON.readTree(line);
    } catch (JacksonException e) {
      throw ApiException.malformed("is not valid JSON: " + e.getOriginalMessage());
    }
    if (n == null || !n.isObject()) {
      throw ApiException.malformed("is not a JSON object");
    }
    return new UsageEvent(
        text(n, "request_id", true, MAX_ID_LENGTH),
        instant(n, "occurred_at"),
        text(n, "node_id", false, MAX_ID_LENGTH),
        uuid(n, "org_id", true),
        uuid(n, "team_id", false),
        uuid(n, "key_id", false),
        text(n, "route", false, MAX_TEXT_LENGTH),
        text(n, "provider", false, MAX_TEXT_LENGTH),
        text(n, "model", false, MAX_TEXT_LENGTH),
        text(n, "endpoint", true, MAX_ID_LENGTH),
        statusCode(n),
        text(n, "error_code", false, MAX_TEXT_LENGTH),
        count(n, "input_tokens", 0),
        count(n, "output_tokens", 0),
        count(n, "cached_input_tokens", 0),
        count(n, "reasoning_tokens", 0),
        usd(n, "cost_usd"),
        bool(n, "unpriced"),
        usageSource(n),
        text(n, "cache_status", false, MAX_ID_LENGTH),
        similarity(n),
        count(n, "attempts", 1),
        optionalCount(n, "latency_ms"),
        optionalCount(n, "ttft_ms"),
        bool(n, "streamed"),
        bool(n, "client_closed"),
        text(n, "shadow_refusal", false, MAX_TEXT_LENGTH),
        usd(n, "cache_saved_usd"),
        log(n));
  }

  /** What a node stores of one body, base64 of gzip: its cap is a few hundred KiB; this bound is the database's. */
  static final int MAX_BODY_BASE64 = 4 * 1024 * 1024;
  static final int MAX_ATTEMPTS = 64;
  private static final Set<String> CONTENT_POLICIES = Set.of("none", "redacted", "full");
  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]*={0,2}");

  private static RequestLogDetail log(JsonNode event) {
    JsonNode n = value(event, "log", false);
    if (n == null) {
      return null;
    }
    if (!n.isObject()) {
      throw ApiException.invalid("log", "must be an object");
    }
    try {
      String policy = text(n, "content_policy", false, 16);
      if (policy != null && !CONTENT_POLICIES.contains(policy)) {
        throw ApiException.invalid("content_policy", "must be none, redacted or full (got '" + policy + "')");
      }
      return new RequestLogDetail(text(n, "user_agent", false, MAX_TEXT_LENGTH),
          text(n, "requested_model", false, MAX_TEXT_LENGTH), text(n, "error_message", false, 4 * MAX_TEXT_LENGTH),
          text(n, "replay_of", false, MAX_ID_LENGTH), attempts(n), policy == null ? "none" : policy,
          body(n, "request_body"), body(n, "response_body"), bool(n, "request_truncated"),
          bool(n, "response_truncated"));
    } catch (ApiException e) {
      throw e.at("log");
    }
  }

  private static String body(JsonNode n, String field) {
    String s = text(n, field, false, MAX_BODY_BASE64);
    if (s != null && (s.length() % 4 != 0 || !BASE64.matcher(s).matches())) {
      throw ApiException.invalid(field, "must be base64 (of the gzipped body)");
    }
    return s;
  }

  /** The attempts as a JSON array of checked values, written anew so that only known fields are stored. */
  private static String attempts(JsonNode n) {
    JsonNode v = value(n, "attempts", false);
    if (v == null) {
      return "[]";
    }
    if (!v.isArray() || v.size() > MAX_ATTEMPTS) {
      throw ApiException.invalid("attempts", "must be an array of at most " + MAX_ATTEMPTS + " attempts");
    }
    var out = JSON.createArrayNode();
    for (int i = 0; i < v.size(); i++) {
      JsonNode a = v.get(i);
      if (!a.isObject()) {
        throw ApiException.invalid("attempts[" + i + "]", "must be an object");
      }
      try {
        var attempt = out.addObject();
        attempt.put("provider", text(a, "provider", false, MAX_TEXT_LENGTH));
        attempt.put("model", text(a, "model", false, MAX_TEXT_LENGTH));
        attempt.put("status_code", count(a, "status_code", 0));
        attempt.put("error_code", text(a, "error_code", false, MAX_ID_LENGTH));
        attempt.put("started_ms", count(a, "started_ms", 0));
        attempt.put("latency_ms", count(a, "latency_ms", 0));
      } catch (ApiException e) {
        throw e.at("attempts[" + i + "]");
      }
    }
    return out.toString();
  }

  private static JsonNode value(JsonNode n, String field, boolean required) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw ApiException.invalid(field, "is required");
      }
      return null;
    }
    return v;
  }

  private static String text(JsonNode n, String field, boolean required, int maxLength) {
    JsonNode v = value(n, field, required);
    if (v == null) {
      return null;
    }
    if (!v.isString()) {
      throw ApiException.invalid(field, "must be a string");
    }
    String s = v.stringValue();
    if (required && s.isBlank()) {
      throw ApiException.invalid(field, "is required");
    }
    if (s.length() > maxLength) {
      throw ApiException.invalid(field, "is longer than " + maxLength + " characters");
    }
    // PostgreSQL text cannot hold NUL.
    if (s.indexOf('\0') >= 0) {
      throw ApiException.invalid(field, "contains a NUL character");
    }
    return s;
  }

  private static Instant instant(JsonNode n, String field) {
    String s = text(n, field, true, 64);
    Instant instant;
    try {
      instant = OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      throw ApiException.invalid(field, "must be an ISO-8601 instant with offset such as "
          + "2026-12-07T13:31:00.123456Z (got '" + s + "')");
    }
    int year = instant.atOffset(ZoneOffset.UTC).getYear();
    if (year < 1970 || year > 9999) {
      throw ApiException.invalid(field, "year " + year + " is out of range (expected: 1970-9999)");
    }
    return instant;
  }

  private static UUID uuid(JsonNode n, String field, boolean required) {
    String s = text(n, field, required, 36);
    if (s == null) {
      return null;
    }
    if (!UUID_TEXT.matcher(s).matches()) {
      throw ApiException.invalid(field, "is not a uuid (got '" + s + "')");
    }
    return UUID.fromString(s);
  }

  private static int statusCode(JsonNode n) {
    JsonNode v = value(n, "status_code", true);
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 100 || v.intValue() > 599) {
      throw ApiException.invalid("status_code", "must be an HTTP status, 100-599 (got " + v + ")");
    }
    return v.intValue();
  }

  private static int count(JsonNode n, String field, int absent) {
    Integer value = optionalCount(n, field);
    return value == null ? absent : value;
  }

  /** A non-negative int (the columns are PostgreSQL integers). */
  private static Integer optionalCount(JsonNode n, String field) {
    JsonNode v = value(n, field, false);
    if (v == null) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw ApiException.invalid(field, "must be an integer 0-" + Integer.MAX_VALUE + " (got " + v + ")");
    }
    if (v.intValue() < 0) {
      throw ApiException.invalid(field, "must be >= 0 (got " + v.intValue() + ")");
    }
    return v.intValue();
  }

  private static boolean bool(JsonNode n, String field) {
    JsonNode v = value(n, field, false);
    if (v == null) {
      return false;
    }
    if (!v.isBoolean()) {
      throw ApiException.invalid(field, "must be true or false (got " + v + ")");
    }
    return v.booleanValue();
  }

  /** A decimal string as the contract sends it; a JSON number is read exactly as well. Absent: 0. */
  private static BigDecimal usd(JsonNode n, String field) {
    JsonNode v = value(n, field, false);
    if (v == null) {
      return BigDecimal.ZERO;
    }
    BigDecimal amount;
    if (v.isNumber()) {
      amount = v.decimalValue();
    } else if (v.isString()) {
      try {
        amount = new BigDecimal(v.stringValue().strip());
      } catch (NumberFormatException e) {
        throw ApiException.invalid(field, "is not a decimal number (got '" + v.stringValue() + "')");
      }
    } else {
      throw ApiException.invalid(field, "must be a decimal string such as \"0.000012345\"");
    }
    if (amount.signum() < 0) {
      throw ApiException.invalid(field, "must be >= 0 (got " + amount.toPlainString() + ")");
    }
    if (amount.compareTo(MAX_COST) >= 0) {
      throw ApiException.invalid(field, "must be less than 1000000000");
    }
    if (amount.stripTrailingZeros().scale() > 9) {
      throw ApiException.invalid(field, "has more than 9 decimals (got " + amount.toPlainString() + ")");
    }
    return amount;
  }

  private static String usageSource(JsonNode n) {
    String s = text(n, "usage_source", false, MAX_ID_LENGTH);
    if (s != null && !USAGE_SOURCES.contains(s)) {
      throw ApiException.invalid("usage_source", "must be provider, estimated or none (got '" + s + "')");
    }
    return s;
  }

  private static Float similarity(JsonNode n) {
    JsonNode v = value(n, "cache_similarity", false);
    if (v == null) {
      return null;
    }
    if (!v.isNumber() || !Float.isFinite(v.floatValue())) {
      throw ApiException.invalid("cache_similarity", "must be a number (got " + v + ")");
    }
    return v.floatValue();
  }

  /** Counts what is read and refuses to read past {@link #MAX_BYTES}. */
  private static final class Limited extends FilterInputStream {
    private long count;

    Limited(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        add(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        add(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(n);
      add(skipped);
      return skipped;
    }

    private void add(long n) {
      count += n;
      if (count > MAX_BYTES) {
        throw ApiException.tooLarge("batch is larger than " + (MAX_BYTES >> 20) + " MiB (decompressed); send "
            + "smaller batches");
      }
    }
  }
}
