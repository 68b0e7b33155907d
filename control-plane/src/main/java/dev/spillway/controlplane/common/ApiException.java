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

  public static ApiException notFound(String resource, Object id) {
    return new ApiException(HttpStatus.NOT_FOUND, resource + " " + id + " not found", null);
  }

  public static ApiException conflict(String field, String message) {
    return new ApiException(HttpStatus.CONFLICT, message, field);
  }

  public static ApiException forbidden(String message) {
    return new ApiException(HttpStatus.FORBIDDEN, message, null);
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

  public HttpStatus status() {
    return status;
  }

  public String field() {
    return field;
  }
}
