package dev.spillway.controlplane.common;

import jakarta.servlet.http.HttpServletRequest;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingRequestHeaderException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.ServletRequestBindingException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DatabindException;

/**
 * Maps every failure of an {@code /api/v1} call to the contract's error body.
 *
 * <p>Not limited by {@code basePackages}: an advice so limited is skipped when no controller method matched, so an
 * unknown path (404) or method (405) under {@code /api} would get Spring's default error body instead.
 */
@RestControllerAdvice
public class ApiExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

  @ExceptionHandler(ApiException.class)
  ResponseEntity<ApiError> api(ApiException e) {
    return json(e.status(), e.getMessage(), e.field());
  }

  @ExceptionHandler(HttpMessageNotReadableException.class)
  ResponseEntity<ApiError> unreadable(HttpMessageNotReadableException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof RequestBodyLimit.TooLargeException tooLarge) {
        return json(HttpStatus.PAYLOAD_TOO_LARGE, tooLarge.getMessage(), null);
      }
    }
    Throwable cause = e.getCause();
    if (cause instanceof DatabindException mapping && !mapping.getPath().isEmpty()) {
      String field = fieldPath(mapping);
      return bad(field + ": has the wrong type or format", field);
    }
    if (cause instanceof JacksonException json) {
      return bad("request body is not valid JSON: " + json.getOriginalMessage(), null);
    }
    return bad("request body is missing or not JSON", null);
  }

  @ExceptionHandler(MethodArgumentTypeMismatchException.class)
  ResponseEntity<ApiError> typeMismatch(MethodArgumentTypeMismatchException e) {
    return bad(e.getName() + ": has the wrong format", e.getName());
  }

  @ExceptionHandler(MissingServletRequestParameterException.class)
  ResponseEntity<ApiError> missingParameter(MissingServletRequestParameterException e) {
    return bad(e.getParameterName() + ": is required", e.getParameterName());
  }

  @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
  ResponseEntity<ApiError> mediaType(HttpMediaTypeNotSupportedException e) {
    return json(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "send Content-Type: application/json", null);
  }

  @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
  ResponseEntity<ApiError> method(HttpRequestMethodNotSupportedException e, HttpServletRequest request)
      throws HttpRequestMethodNotSupportedException {
    requireMachinePath(e, request);
    var allowed = e.getSupportedHttpMethods();
    return ResponseEntity.status(HttpStatus.METHOD_NOT_ALLOWED)
        .allow(allowed == null ? new HttpMethod[0] : allowed.toArray(HttpMethod[]::new))
        .contentType(MediaType.APPLICATION_JSON)
        .body(ApiError.of("method " + e.getMethod() + " is not allowed here", null));
  }

  @ExceptionHandler(NoResourceFoundException.class)
  ResponseEntity<ApiError> noResource(NoResourceFoundException e, HttpServletRequest request)
      throws NoResourceFoundException {
    requireMachinePath(e, request);
    return json(HttpStatus.NOT_FOUND, "no such endpoint", null);
  }

  @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
  ResponseEntity<ApiError> notAcceptable(HttpMediaTypeNotAcceptableException e, HttpServletRequest request)
      throws HttpMediaTypeNotAcceptableException {
    requireMachinePath(e, request);
    return json(HttpStatus.NOT_ACCEPTABLE, "this endpoint answers application/json; send Accept: application/json",
        null);
  }

  @ExceptionHandler(MissingRequestHeaderException.class)
  ResponseEntity<ApiError> missingHeader(MissingRequestHeaderException e, HttpServletRequest request)
      throws MissingRequestHeaderException {
    requireMachinePath(e, request);
    return json(HttpStatus.BAD_REQUEST, "header " + e.getHeaderName() + " is required", null);
  }

  @ExceptionHandler(ServletRequestBindingException.class)
  ResponseEntity<ApiError> binding(ServletRequestBindingException e, HttpServletRequest request)
      throws ServletRequestBindingException {
    requireMachinePath(e, request);
    return json(HttpStatus.BAD_REQUEST, ApiErrorController.messageFor(HttpStatus.BAD_REQUEST), null);
  }

  /**
   * What nothing above expected: a 500 in the API's shape, the cause in the log only (it may hold data of the
   * request). Dashboard pages go on to their own error page.
   */
  @ExceptionHandler(Exception.class)
  ResponseEntity<ApiError> unexpected(Exception e, HttpServletRequest request) throws Exception {
    requireMachinePath(e, request);
    if (e instanceof AccessDeniedException || e instanceof AuthenticationException) {
      throw e; // Spring Security's filters answer these (401/403, already in this shape)
    }
    if (e instanceof ErrorResponse known) {
      // A failure Spring MVC knows the status of (binding, method validation, async timeout). Its own text is not
      // shown: it may name Java types.
      HttpStatus status = HttpStatus.resolve(known.getStatusCode().value());
      status = status == null ? HttpStatus.BAD_REQUEST : status;
      log.debug("{} {}: {}", request.getMethod(), request.getRequestURI(), e.toString());
      return json(status, ApiErrorController.messageFor(status), null);
    }
    log.error("{} {} failed", request.getMethod(), request.getRequestURI(), e);
    return json(HttpStatus.INTERNAL_SERVER_ERROR, ApiErrorController.messageFor(HttpStatus.INTERNAL_SERVER_ERROR),
        null);
  }

  /** Outside the JSON APIs (future dashboard pages) the exception goes on to Spring's default error handling. */
  private static <E extends Exception> void requireMachinePath(E e, HttpServletRequest request) throws E {
    String path = request.getRequestURI().substring(request.getContextPath().length());
    if (!path.startsWith("/api/") && !path.startsWith("/internal/")) {
      throw e;
    }
  }

  /**
   * A constraint the service's own checks did not catch (e.g. a concurrent duplicate): conflict, not 500. Values
   * the database cannot compute with (dates of year 1) are refused before the query, by {@link QueryParams}.
   */
  @ExceptionHandler(DataIntegrityViolationException.class)
  ResponseEntity<ApiError> integrity(DataIntegrityViolationException e) {
    log.info("constraint violation: {}", e.getMostSpecificCause().getMessage());
    return json(HttpStatus.CONFLICT, "the change conflicts with existing data; reload and retry", null);
  }

  /** The JSON path of a mapping failure as the API names fields: {@code rate_limit.rpm}, {@code keys[0].value}. */
  static String fieldPath(DatabindException e) {
    return e.getPath().stream()
        .map(ref -> ref.getPropertyName() != null ? ref.getPropertyName() : "[" + ref.getIndex() + "]")
        .collect(Collectors.joining(".")).replace(".[", "[");
  }

  private static ResponseEntity<ApiError> bad(String message, String field) {
    return json(HttpStatus.BAD_REQUEST, message, field);
  }

  /** The content type is set, so content negotiation cannot turn an error into a 406 (Accept: text/html). */
  private static ResponseEntity<ApiError> json(HttpStatus status, String message, String field) {
    return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(ApiError.of(message, field));
  }
}
