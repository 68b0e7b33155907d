package dev.spillway.dataplane.error;

/**
 * A failure with a client-facing message. Thrown on the request path and turned into an error body at the edge;
 * no stack trace is filled, because these are expected outcomes, not bugs.
 */
public final class GatewayException extends RuntimeException {
  private final GatewayError error;
  private final String param;

  GatewayException(GatewayError error, String message, String param) {
    super(message, null, false, false);
    this.error = error;
    this.param = param;
  }

  public GatewayError error() {
    return error;
  }

  /** The request field at fault, if any (OpenAI's {@code param}). */
  public String param() {
    return param;
  }
}
