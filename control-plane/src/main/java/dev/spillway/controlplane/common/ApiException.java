package dev.spillway.controlplane.common;

import org.springframework.http.HttpStatus;

/**
 * The one error type of the admin API. Its status, message and (for 400/409) the offending field become
 * the body {@code {"error":{"message":…,"field":…}}}.
 */
public final class ApiException extends RuntimeException {
  private final HttpStatus status;
  private final String field;

  private ApiException(HttpStatus status, String message, String field) {
    super(message);
    this.status = status;
    this.field = field;
  }

  public static ApiException invalid(String field, String message) {
    return new ApiException(HttpStatus.BAD_REQUEST, field + ": " + message, field);
  }

  /** A request that is wrong as a whole rather than in one field (400, no field). */
  public static ApiException malformed(String message) {
    return new ApiException(HttpStatus.BAD_REQUEST, message, null);
  }

  public static ApiException notFound(String resource, Object id) {
    return new ApiException(HttpStatus.NOT_FOUND, resource + " " + id + " not found", null);
  }

  public static ApiException conflict(String field, String message) {
    return new ApiException(HttpStatus.CONFLICT, message, field);
  }

  public static ApiException forbidden(String message) {
    return new ApiException(HttpStatus.FORBIDDEN, message, null);
  }

  /** A body over a size or count limit (413); nothing of it was used. */
  public static ApiException tooLarge(String message) {
    return new ApiException(HttpStatus.PAYLOAD_TOO_LARGE, message, null);
  }

  /** A body in a media type or content encoding this endpoint does not read (415). */
  public static ApiException unsupportedMediaType(String message) {
    return new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, message, null);
  }

  /** A dependency (the database) is down or busy; the caller should retry the same request later (503). */
  public static ApiException unavailable(String message) {
    return new ApiException(HttpStatus.SERVICE_UNAVAILABLE, message, null);
  }

  /**
   * The same error with its field placed under {@code prefix}, e.g. {@code name} of the third team of a config
   * file becomes {@code teams[2].name}.
   */
  public ApiException under(String prefix) {
    String prefixedField = field == null ? prefix : prefix + "." + field;
    String message = getMessage();
    if (field != null && message.startsWith(field + ": ")) {
      message = prefixedField + ": " + message.substring(field.length() + 2);
    } else {
      message = prefix + ": " + message;
    }
    return new ApiException(status, message, status == HttpStatus.BAD_REQUEST || status == HttpStatus.CONFLICT
        ? prefixedField : field);
  }

  /**
   * The same error with a location in front of its message, field unchanged: {@code input_tokens: must be >= 0}
   * becomes {@code line 3: input_tokens: must be >= 0}.
   */
  public ApiException at(String location) {
    return new ApiException(status, location + ": " + getMessage(), field);
  }

  public HttpStatus status() {
    return status;
  }

  public String field() {
    return field;
  }
}
