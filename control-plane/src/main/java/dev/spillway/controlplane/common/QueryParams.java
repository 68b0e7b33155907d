package dev.spillway.controlplane.common;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.UUID;

/** Query parameters of the admin API's reads: absent or blank is null, malformed is a 400 naming the parameter. */
public final class QueryParams {
  private QueryParams() {}

  /** A filter by id: a malformed id is a bad request, not a missing resource. */
  public static UUID id(String field, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return UUID.fromString(value.strip());
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(field, "is not an id");
    }
  }

  /**
   * The earliest instant a query takes. Far-off dates (year 1, year 200000) overflow the database's date arithmetic
   * (time buckets, partitions) and would surface as a server error; nothing Spillway stores is older than this.
   */
  public static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
  /** The latest instant a query takes (see {@link #EARLIEST}). */
  public static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

  public static Instant instant(String field, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    Instant instant;
    try {
      instant = Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw ApiException.invalid(field, "must be an ISO-8601 instant such as 2025-01-31T00:00:00Z");
    }
    if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
      throw ApiException.invalid(field, "must be between " + EARLIEST + " and " + LATEST + " (got " + value + ")");
    }
    return instant;
  }
}
