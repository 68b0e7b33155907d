package dev.spillway.controlplane.usage;

/**
 * The part of a request's log record that its usage event does not already hold, as a node reports it (field
 * {@code log} of a usage line), checked. Stored with the event, in the same statement: every stored usage event has
 * exactly one {@code request_logs} row, and a node that sends no {@code log} still gets one from the event's fields.
 *
 * @param attemptsJson   the attempts, re-serialised from checked values (a JSON array)
 * @param contentPolicy  {@code none}, {@code redacted} or {@code full}
 * @param requestBody    base64 of the gzipped body as the node stored it, or null
 * @param responseBody   the same for the answer
 */
public record RequestLogDetail(String userAgent, String requestedModel, String errorMessage, String replayOf,
    String attemptsJson, String contentPolicy, String requestBody, String responseBody, boolean requestTruncated,
    boolean responseTruncated) {}
