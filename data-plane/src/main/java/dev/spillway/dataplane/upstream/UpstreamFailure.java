package dev.spillway.dataplane.upstream;

/**
 * Why an upstream exchange ended without a complete response.
 *
 * @param kind            the phase that failed
 * @param message         what happened, for the client and the logs (never contains credentials)
 * @param beforeFirstByte true when no byte of the response had arrived, so another attempt is safe
 */
public record UpstreamFailure(Kind kind, String message, boolean beforeFirstByte) {
  public enum Kind { CONNECT, CONNECT_TIMEOUT, FIRST_BYTE_TIMEOUT, IDLE_TIMEOUT, TOTAL_TIMEOUT, CLOSED, IO, TOO_LARGE }

  public boolean isTimeout() {
    return kind == Kind.CONNECT_TIMEOUT || kind == Kind.FIRST_BYTE_TIMEOUT || kind == Kind.IDLE_TIMEOUT
        || kind == Kind.TOTAL_TIMEOUT;
  }
}
