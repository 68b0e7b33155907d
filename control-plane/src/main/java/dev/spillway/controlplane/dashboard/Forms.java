package dev.spillway.controlplane.dashboard;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.common.BudgetBody;
import dev.spillway.controlplane.common.RateLimitBody;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * Form fields to the admin API's request bodies, and the services' validation errors back to the field they name.
 * Forms post strings; a malformed number is reported on its field like any other validation error, and the rules
 * themselves stay in the services.
 */
public final class Forms {
  /** The key under which an error that names no field is shown (at the top of the form). */
  public static final String FORM = "form";

  private Forms() {}

  /** Field name to message, without the {@code field: } prefix the API's messages start with. */
  public static Map<String, String> errors(ApiException e) {
    Map<String, String> errors = new LinkedHashMap<>();
    String field = e.field();
    String message = e.getMessage();
    if (field != null && message.startsWith(field + ": ")) {
      message = message.substring(field.length() + 2);
    }
    errors.put(field == null ? FORM : field, message);
    return errors;
  }

  /** Whether the error belongs next to a form field (else it is a 403/404 for the error page). */
  public static boolean isFormError(ApiException e) {
    return e.status() == HttpStatus.BAD_REQUEST || e.status() == HttpStatus.CONFLICT;
  }

  public static String text(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }

  public static BigDecimal decimal(String field, String value) {
    String v = text(value);
    if (v == null) {
      return null;
    }
    try {
      return new BigDecimal(v.replace(",", "").replace("$", ""));
    } catch (NumberFormatException e) {
      throw ApiException.invalid(field, "must be a number (got '" + v + "')");
    }
  }

  public static Integer integer(String field, String value) {
    String v = text(value);
    if (v == null) {
      return null;
    }
    try {
      return Integer.valueOf(v.replace(",", "").replace("_", ""));
    } catch (NumberFormatException e) {
      throw ApiException.invalid(field, "must be a whole number (got '" + v + "')");
    }
  }

  /**
   * A budget from a limit, a period and its modes; no limit means no budget. A null {@code enforce} or
   * {@code onUnreachable} leaves the API's default (enforced, failing closed).
   */
  public static BudgetBody budget(String prefix, String limitUsd, String period, Boolean enforce,
      String onUnreachable) {
    BigDecimal limit = decimal(prefix + ".limit_usd", limitUsd);
    return limit == null ? null : new BudgetBody(limit, text(period), enforce, text(onUnreachable));
  }

  /** A rate limit from its three limits and its mode; no limit at all means no rate limit. */
  public static RateLimitBody rateLimit(String prefix, String rpm, String tpm, String maxConcurrent,
      Boolean enforce) {
    Integer r = integer(prefix + ".rpm", rpm);
    Integer t = integer(prefix + ".tpm", tpm);
    Integer c = integer(prefix + ".max_concurrent", maxConcurrent);
    return r == null && t == null && c == null ? null : new RateLimitBody(r, t, c, enforce);
  }
}
