/**
 * OpenTelemetry traces of the requests a node proxies (docs/observability.md, "Tracing"): a SERVER span per request
 * and a CLIENT span per upstream attempt, with the attributes of the OpenTelemetry GenAI semantic conventions
 * ({@link GenAiAttributes#SCHEMA_URL}), exported over OTLP/HTTP by a batch processor off the event loops.
 *
 * <p>Off unless the standard {@code OTEL_*} variables ask for it ({@link TracingSettings}). Off, a request costs one
 * header lookup: {@link Tracing#OFF} hands out {@link RequestTrace#NONE}, or, when the client sent a W3C
 * {@code traceparent}, a pass-through that copies it to the provider unchanged. No span, context or attribute object
 * is made.
 *
 * <p>The request path calls a {@link RequestTrace} at a handful of points (start, each attempt's start, response
 * and end, the first streamed chunk, settle); everything OpenTelemetry is behind it, in {@link OtelTracing}.
 */
package dev.spillway.dataplane.tracing;
