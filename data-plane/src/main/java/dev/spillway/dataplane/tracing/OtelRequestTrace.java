package dev.spillway.dataplane.tracing;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.metrics.RequestObserver;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.usage.Usage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * One request's spans: the SERVER span, named {@code POST <endpoint>} after the HTTP conventions (it is the HTTP
 * request the client made), and a CLIENT span per upstream attempt, named {@code <operation> <upstream model>} after
 * the GenAI conventions (it is the inference call). Touched only from the request's event loop.
 *
 * <p>A successful attempt's span stays open past its response until the request settles, because the tokens are
 * only known then; it ends at the time its response ended.
 */
final class OtelRequestTrace implements RequestTrace {
  private final Tracer tracer;
  private final Context serverContext;
  private final Span server;
  private final String operation;
  private final long startNanos;
  private final long startEpochNanos;
  /** Where content goes on spans, or null when content never does. */
  private final SpanContentWriter contentWriter;

  /** The attempt in flight, or null. */
  private Span client;
  private long clientStartNanos;
  private int clientStatus;
  /** An attempt whose 2xx response ended, waiting for the request's usage; null when none. */
  private Span answered;
  private long answeredEndNanos;
  private boolean firstChunkSeen;
  private boolean done;
  /** What the serving attempt's answer said: the model that answered, why it stopped (null until it said). */
  private String responseModel;
  private List<String> finishReasons;
  /** The request's content for the serving attempt's span, or null. */
  private SpanContent content;

  OtelRequestTrace(Tracer tracer, Context serverContext, Span server, String operation, long startNanos,
      long startEpochNanos, SpanContentWriter contentWriter) {
    this.tracer = tracer;
    this.serverContext = serverContext;
    this.server = server;
    this.operation = operation;
    this.startNanos = startNanos;
    this.startEpochNanos = startEpochNanos;
    this.contentWriter = contentWriter;
  }

  @Override
  public void resolved(String keyId, String teamId, String route, String requestedModel) {
    server.setAttribute(GenAiAttributes.KEY_ID, keyId);
    server.setAttribute(GenAiAttributes.TEAM_ID, teamId);
    if (route != null) {
      server.setAttribute(GenAiAttributes.ROUTE, route);
    }
    server.setAttribute(GenAiAttributes.REQUEST_MODEL, requestedModel);
  }

  @Override
  public void attemptStarted(RouteTable.Target target, RequestObserver.Attempt kind, UpstreamRequest request) {
    if (done) {
      return;
    }
    if (client != null) {
      endClient(client, "abandoned", System.nanoTime());
    }
    if (answered != null) {
      // A 2xx answer that could not be used (unreadable, an in-band error before any content): tried again.
      endClient(answered, GatewayError.UPSTREAM_ERROR.code(), answeredEndNanos);
      answered = null;
    }
    String model = target.model();
    URI uri = request.uri();
    long now = System.nanoTime();
    var builder = tracer.spanBuilder(operation + " " + model)
        .setParent(serverContext)
        .setSpanKind(SpanKind.CLIENT)
        .setStartTimestamp(epochNanos(now), TimeUnit.NANOSECONDS)
        .setAttribute(GenAiAttributes.OPERATION_NAME, operation)
        .setAttribute(GenAiAttributes.PROVIDER_NAME,
            GenAiAttributes.providerName(target.provider().type(), target.provider().name()))
        .setAttribute(GenAiAttributes.PROVIDER, target.provider().name())
        .setAttribute(GenAiAttributes.REQUEST_MODEL, model)
        .setAttribute(GenAiAttributes.ATTEMPT_KIND, kind.name().toLowerCase(Locale.ROOT));
    if (uri.getHost() != null) {
      builder.setAttribute(GenAiAttributes.SERVER_ADDRESS, uri.getHost());
      int port = uri.getPort() > 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
      builder.setAttribute(GenAiAttributes.SERVER_PORT, (long) port);
    }
    client = builder.startSpan();
    clientStartNanos = now;
    clientStatus = 0;
    // The provider sees the attempt's span as the parent of whatever it traces (and the client's tracestate).
    W3CTraceContextPropagator.getInstance().inject(serverContext.with(client), request.headers(),
        OtelTracing.SETTER);
  }

  @Override
  public void attemptResponded(int status) {
    if (client != null) {
      clientStatus = status;
      client.setAttribute(GenAiAttributes.HTTP_RESPONSE_STATUS_CODE, (long) status);
    }
  }

  @Override
  public void attemptEnded(String errorType) {
    if (client == null) {
      return;
    }
    long now = System.nanoTime();
    if (errorType == null && clientStatus >= 200 && clientStatus < 300) {
      answered = client;
      answeredEndNanos = now;
    } else {
      endClient(client, errorType != null ? errorType : clientStatus >= 400 ? Integer.toString(clientStatus)
          : null, now);
    }
    client = null;
  }

  @Override
  public boolean recordsAnswers() {
    return true;
  }

  @Override
  public void answered(String responseModel, List<String> finishReasons) {
    this.responseModel = responseModel;
    this.finishReasons = finishReasons;
  }

  @Override
  public boolean recordsContent() {
    return contentWriter != null;
  }

  @Override
  public void content(SpanContent content) {
    this.content = content;
  }

  @Override
  public void firstChunk() {
    if (firstChunkSeen) {
      return;
    }
    firstChunkSeen = true;
    long now = System.nanoTime();
    server.setAttribute(GenAiAttributes.TTFT_MS, millis(now - startNanos));
    Span attempt = client != null ? client : answered;
    if (attempt != null) {
      attempt.setAttribute(GenAiAttributes.TTFT_MS, millis(now - clientStartNanos));
    }
  }

  @Override
  public void ended(int status, GatewayError error, Usage usage, RouteTable.Target servedBy, int attempts,
      String cache) {
    if (done) {
      return;
    }
    done = true;
    long now = System.nanoTime();
    boolean served = error == null && servedBy != null;
    // The attempt that served the request: answered, or (a client that left after the stream's last event) still
    // reading the provider's last bytes.
    Span serving = answered != null ? answered : served ? client : null;
    if (serving != null) {
      if (served) {
        answer(serving, servedBy);
        usage(serving, usage);
        long end = epochNanos(serving == answered ? answeredEndNanos : now);
        if (content != null && contentWriter != null) {
          contentWriter.endWithContent(serving, end, content);
        } else {
          serving.end(end, TimeUnit.NANOSECONDS);
        }
      } else {
        endClient(serving, error != null ? error.code() : "cancelled",
            serving == answered ? answeredEndNanos : now);
      }
    }
    if (client != null && client != serving) {
      endClient(client, error != null ? error.code() : "cancelled", now);
    }
    answered = null;
    client = null;

    server.setAttribute(GenAiAttributes.HTTP_RESPONSE_STATUS_CODE, (long) status);
    server.setAttribute(GenAiAttributes.ATTEMPTS, (long) attempts);
    if (cache != null) {
      server.setAttribute(GenAiAttributes.CACHE, cache);
    }
    if (servedBy != null) {
      server.setAttribute(GenAiAttributes.PROVIDER_NAME,
          GenAiAttributes.providerName(servedBy.provider().type(), servedBy.provider().name()));
      server.setAttribute(GenAiAttributes.PROVIDER, servedBy.provider().name());
      answer(server, servedBy);
    }
    usage(server, usage);
    endServer(status, error, now);
  }

  @Override
  public void failed(GatewayError error) {
    if (done) {
      return;
    }
    done = true;
    if (client != null) {
      endClient(client, error.code(), System.nanoTime());
      client = null;
    }
    server.setAttribute(GenAiAttributes.HTTP_RESPONSE_STATUS_CODE, (long) error.status().code());
    endServer(error.status().code(), error, System.nanoTime());
  }

  private void endServer(int status, GatewayError error, long endNanos) {
    if (error != null) {
      server.setAttribute(GenAiAttributes.ERROR_TYPE, error.code());
    }
    // The HTTP conventions: a server span is an error for a 5xx only; a 4xx is the client's.
    if (status >= 500) {
      server.setStatus(StatusCode.ERROR);
    }
    server.end(epochNanos(endNanos), TimeUnit.NANOSECONDS);
  }

  private void endClient(Span span, String errorType, long endNanos) {
    if (errorType != null) {
      span.setAttribute(GenAiAttributes.ERROR_TYPE, errorType);
      span.setStatus(StatusCode.ERROR);
    }
    span.end(epochNanos(endNanos), TimeUnit.NANOSECONDS);
  }

  /** The model that answered as the provider named it (else the model asked of it), and why it stopped. */
  private void answer(Span span, RouteTable.Target servedBy) {
    span.setAttribute(GenAiAttributes.RESPONSE_MODEL, responseModel != null ? responseModel : servedBy.model());
    if (finishReasons != null && !finishReasons.isEmpty()) {
      span.setAttribute(GenAiAttributes.FINISH_REASONS, finishReasons);
    }
  }

  private static void usage(Span span, Usage usage) {
    if (usage == null || usage == Usage.NONE) {
      return;
    }
    span.setAttribute(GenAiAttributes.INPUT_TOKENS, usage.inputTokens());
    span.setAttribute(GenAiAttributes.OUTPUT_TOKENS, usage.outputTokens());
    if (usage.cachedInputTokens() > 0) {
      span.setAttribute(GenAiAttributes.CACHE_READ_INPUT_TOKENS, usage.cachedInputTokens());
    }
  }

  /** A {@link System#nanoTime()} reading as Unix epoch nanoseconds, on this request's time line. */
  private long epochNanos(long nanoTime) {
    return startEpochNanos + (nanoTime - startNanos);
  }

  private static double millis(long nanos) {
    return nanos / 1_000_000.0;
  }
}
