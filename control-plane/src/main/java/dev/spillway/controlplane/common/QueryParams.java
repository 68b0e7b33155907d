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

  public static Instant instant(String field, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw ApiException.invalid(field, "must be an ISO-8601 instant such as 2025-01-31T00:00:00Z");
    }
  }
}
