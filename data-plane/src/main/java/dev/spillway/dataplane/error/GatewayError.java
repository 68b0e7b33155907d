package dev.spillway.dataplane.error;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The one error taxonomy of the data plane: each value fixes the HTTP status, the OpenAI-style {@code code} and
 * {@code type}, and the Anthropic-style error type, so every path reports the same failure the same way.
 */
public enum GatewayError {
  INVALID_REQUEST(400, "invalid_request", "invalid_request_error", "invalid_request_error"),
  INVALID_API_KEY(401, "invalid_api_key", "invalid_request_error", "authentication_error"),
  MODEL_NOT_ALLOWED(403, "model_not_allowed", "invalid_request_error", "permission_error"),
  MODEL_NOT_FOUND(404, "model_not_found", "invalid_request_error", "not_found_error"),
  UNKNOWN_URL(404, "unknown_url", "invalid_request_error", "not_found_error"),
  METHOD_NOT_ALLOWED(405, "method_not_allowed", "invalid_request_error", "invalid_request_error"),
  EXPECTATION_FAILED(417, "expectation_failed", "invalid_request_error", "invalid_request_error"),
  REQUEST_TOO_LARGE(413, "request_too_large", "invalid_request_error", "request_too_large"),
  HEADERS_TOO_LARGE(431, "headers_too_large", "invalid_request_error", "invalid_request_error"),
  REQUEST_TIMEOUT(408, "request_timeout", "invalid_request_error", "invalid_request_error"),
  RATE_LIMIT_EXCEEDED(429, "rate_limit_exceeded", "rate_limit_error", "rate_limit_error"),
  BUDGET_EXCEEDED(429, "budget_exceeded", "insufficient_quota", "rate_limit_error"),
  INTERNAL(500, "internal_error", "api_error", "api_error"),
  UPSTREAM_ERROR(502, "upstream_error", "api_error", "api_error"),
  NOT_READY(503, "not_ready", "api_error", "overloaded_error"),
  /** Every target of the route is known to be down (breakers open) or out of usable keys: answered without trying. */
  UPSTREAM_UNAVAILABLE(503, "upstream_unavailable", "api_error", "overloaded_error"),
  UPSTREAM_TIMEOUT(504, "upstream_timeout", "api_error", "api_error");

  private final HttpResponseStatus status;
  private final String code;
  private final String openAiType;
  private final String anthropicType;

  GatewayError(int status, String code, String openAiType, String anthropicType) {
    this.status = HttpResponseStatus.valueOf(status);
    this.code = code;
    this.openAiType = openAiType;
    this.anthropicType = anthropicType;
  }

  public HttpResponseStatus status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String openAiType() {
    return openAiType;
  }

  public String anthropicType() {
    return anthropicType;
  }

  /** An exception carrying this error and a message for the client. */
  public GatewayException exception(String message) {
    return new GatewayException(this, message, null);
  }

  public GatewayException exception(String message, String param) {
    return new GatewayException(this, message, param);
  }
}
