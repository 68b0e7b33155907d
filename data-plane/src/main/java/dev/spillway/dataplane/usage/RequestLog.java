package dev.spillway.dataplane.usage;

import java.util.List;

/**
 * What a request's log record holds beyond its usage: shipped inside its {@link UsageEvent} (field {@code log}), so
 * that the control plane stores both in one transaction and every usage event has exactly one log record.
 *
 * @param userAgent      the client's {@code User-Agent}, or null
 * @param requestedModel the {@code model} the client asked for (a route or provider/model)
 * @param errorMessage   what the client was told with its error (redacted like content), or null
 * @param replayOf       the logged request this one replays, or null
 * @param attempts       every upstream attempt, in order
 * @param contentPolicy  {@code none}, {@code redacted} or {@code full}: what applied to this request
 * @param requestBody    base64 of the gzipped request body as stored (redacted under {@code redacted}), or null
 * @param responseBody   base64 of the gzipped answer in the client's API, or null
 * @param requestTruncated  the stored request body was cut at the node's size cap
 * @param responseTruncated the stored answer was cut at the node's size cap
 */
public record RequestLog(String userAgent, String requestedModel, String errorMessage, String replayOf,
    List<AttemptRecord> attempts, String contentPolicy, String requestBody, String responseBody,
    boolean requestTruncated, boolean responseTruncated) {

  public RequestLog {
    attempts = attempts == null ? List.of() : attempts;
  }

  /** The same record with stored bodies. */
  public RequestLog withContent(String requestBody, boolean requestTruncated, String responseBody,
      boolean responseTruncated) {
    return new RequestLog(userAgent, requestedModel, errorMessage, replayOf, attempts, contentPolicy, requestBody,
        responseBody, requestTruncated, responseTruncated);
  }
}
