package dev.spillway.dataplane.tracing;

import dev.spillway.dataplane.metrics.Endpoint;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Tracing on: spans from the OpenTelemetry SDK, exported by its batch span processor (a bounded queue drained by
 * its own thread, so an event loop never waits for the collector, and spans are dropped, not requests, when the
 * collector cannot keep up). The SDK is configured by {@link TracingSettings} from the standard variables.
 */
public final class OtelTracing implements Tracing {
  /** The instrumentation scope: the node's own spans. */
  static final String SCOPE = "dev.spillway.dataplane";

  static final TextMapGetter<HttpHeaders> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(HttpHeaders carrier) {
      return carrier.names();
    }

    @Override
    public String get(HttpHeaders carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };
  static final TextMapSetter<HttpHeaders> SETTER = (carrier, key, value) -> {
    if (carrier != null) {
      carrier.set(key, value);
    }
  };

  private final OpenTelemetrySdk sdk;
  private final Tracer tracer;
  /** Where content goes on spans, or null when it never does. */
  private final SpanContentWriter contentWriter;

  OtelTracing(OpenTelemetrySdk sdk, String version, SpanContentWriter contentWriter) {
    this.sdk = Objects.requireNonNull(sdk, "sdk");
    this.contentWriter = contentWriter;
    this.tracer = sdk.getTracerProvider().tracerBuilder(SCOPE).setInstrumentationVersion(version)
        .setSchemaUrl(GenAiAttributes.SCHEMA_URL).build();
  }

  @Override
  public RequestTrace start(Endpoint endpoint, HttpHeaders clientHeaders, String requestId, long startNanos) {
    // Only the W3C trace context is read from the client: baggage and vendor headers are not trusted input.
    Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), clientHeaders, GETTER);
    long nowNanos = System.nanoTime();
    long epochNanos = currentEpochNanos();
    long startEpochNanos = epochNanos - (nowNanos - startNanos);
    String operation = GenAiAttributes.operationName(endpoint);
    Span server = tracer.spanBuilder("POST " + endpoint.label())
        .setParent(parent)
        .setSpanKind(SpanKind.SERVER)
        .setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS)
        .setAttribute(GenAiAttributes.HTTP_REQUEST_METHOD, "POST")
        .setAttribute(GenAiAttributes.HTTP_ROUTE, endpoint.label())
        .setAttribute(GenAiAttributes.OPERATION_NAME, operation)
        .setAttribute(GenAiAttributes.REQUEST_ID, requestId)
        .startSpan();
    return new OtelRequestTrace(tracer, parent.with(server), server, operation, startNanos, startEpochNanos,
        contentWriter);
  }

  private static long currentEpochNanos() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  @Override
  public boolean enabled() {
    return true;
  }

  @Override
  public void close() {
    if (contentWriter != null) {
      contentWriter.close();
    }
    sdk.shutdown().join(5, TimeUnit.SECONDS);
  }
}
