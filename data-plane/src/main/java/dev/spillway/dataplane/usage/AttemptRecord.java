package dev.spillway.dataplane.usage;

/**
 * One upstream attempt of a request, for its log record.
 *
 * @param statusCode the provider's HTTP status, 0 when none came (unreachable, timeout, cancelled)
 * @param errorCode  why the attempt failed ({@code upstream_timeout}, {@code stream_failed}, {@code abandoned} …),
 *                   or null when it did not
 * @param startedMs  when it started, in milliseconds after the request arrived
 */
public record AttemptRecord(String provider, String model, int statusCode, String errorCode, long startedMs,
    long latencyMs) {}
