package dev.spillway.controlplane.requestlog;

/**
 * One upstream attempt of a logged request, in order (retries and fallbacks included).
 *
 * @param statusCode the provider's HTTP status, or null when no answer came (timeout, refused connection)
 * @param startedMs  when the attempt began, in milliseconds after the request arrived
 */
public record Attempt(String provider, String model, Integer statusCode, String errorCode, long latencyMs,
    long startedMs) {

  /** {@code ok}, {@code warn} (4xx) or {@code bad} (5xx or no answer): the colour of its bar. */
  public String outcome() {
    if (statusCode == null || statusCode >= 500) {
      return "bad";
    }
    return statusCode >= 400 ? "warn" : "ok";
  }
}
