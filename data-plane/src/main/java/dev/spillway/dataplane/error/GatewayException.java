package dev.spillway.dataplane.error;

import java.util.Map;

/**
 * A failure with a client-facing message. Thrown on the request path and turned into an error body at the edge;
 * no stack trace is filled, because these are expected outcomes, not bugs.
 */
public final class GatewayException extends RuntimeException {
  private final GatewayError error;
  private final String param;
  private final Map<String, String> headers;

  GatewayException(GatewayError error, String message, String param) {
    this(error, message, param, Map.of());
  }

  private GatewayException(GatewayError error, String message, String param, Map<String, String> headers) {
    super(message, null, false, false);
    this.error = error;
    this.param = param;
    this.headers = headers;
  }

  /** The same failure with response headers that tell the client what to do ({@code Retry-After}, …). */
  public GatewayException withHeaders(Map<String, String> headers) {
    return new GatewayException(error, getMessage(), param, Map.copyOf(headers));
  }

  /** Response headers the answer carries besides the error body; empty for most errors. */
  public Map<String, String> headers() {
    return headers;
  }

  public GatewayError error() {
    return error;
  }

  /** The request field at fault, if any (OpenAI's {@code param}). */
  public String param() {
    return param;
  }
}
