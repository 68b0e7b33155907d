package dev.spillway.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;

/**
 * An OpenTelemetry collector's trace endpoint as a real HTTP server on loopback: {@code POST /v1/traces} with an
 * OTLP/HTTP protobuf body (plain or gzipped), decoded with the protocol's generated classes into {@link ReceivedSpan}s.
 * Point a node at it with {@code OTEL_EXPORTER_OTLP_ENDPOINT=}{@link #endpoint()}.
 */
public final class OtlpReceiver implements AutoCloseable {
  /**
   * One span as exported, ids in lower-case hex (the parent's is empty for a root span).
   *
   * @param kind       {@code SPAN_KIND_SERVER}, {@code SPAN_KIND_CLIENT}, …
   * @param attributes string, long, double and boolean values as such; arrays as lists of them
   * @param resource   the attributes of the resource the span came with ({@code service.name}, …)
   * @param statusCode {@code STATUS_CODE_UNSET}, {@code STATUS_CODE_OK} or {@code STATUS_CODE_ERROR}
   * @param schemaUrl  the schema URL of the span's instrumentation scope
   */
  public record ReceivedSpan(String traceId, String spanId, String parentSpanId, String name, String kind,
      Map<String, Object> attributes, Map<String, Object> resource, String statusCode, String schemaUrl,
      long startEpochNanos, long endEpochNanos) {
    public Object attribute(String key) {
      return attributes.get(key);
    }
  }

  private final HttpServer server;
  private final java.util.concurrent.ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
    Thread thread = new Thread(r, "otlp-receiver");
    thread.setDaemon(true);
    return thread;
  });
  private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();
  private final List<String> contentTypes = new CopyOnWriteArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();

  private OtlpReceiver(HttpServer server) {
    this.server = server;
  }

  /** Listens on a free port of 127.0.0.1. */
  public static OtlpReceiver start() throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    OtlpReceiver receiver = new OtlpReceiver(server);
    server.createContext("/v1/traces", receiver::handle);
    server.setExecutor(receiver.executor);
    server.start();
    return receiver;
  }

  /** The base URL, as {@code OTEL_EXPORTER_OTLP_ENDPOINT} takes it (the exporter appends {@code /v1/traces}). */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Every span received so far, in arrival order. */
  public List<ReceivedSpan> spans() {
    return List.copyOf(spans);
  }

  /** Export requests received (any outcome). */
  public int requests() {
    return requests.get();
  }

  /** The {@code Content-Type} of every export request. */
  public List<String> contentTypes() {
    return List.copyOf(contentTypes);
  }

  public void clear() {
    spans.clear();
  }

  private void handle(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      contentTypes.add(String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type")));
      byte[] body;
      try (InputStream in = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))
          ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      ExportTraceServiceRequest request;
      try {
        request = ExportTraceServiceRequest.parseFrom(body);
      } catch (IOException e) {
        exchange.sendResponseHeaders(400, -1);
        return;
      }
      spans.addAll(decode(request));
      byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
      exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
      if (answer.length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(answer);
        }
      }
    }
  }

  private static List<ReceivedSpan> decode(ExportTraceServiceRequest request) {
    HexFormat hex = HexFormat.of();
    List<ReceivedSpan> out = new ArrayList<>();
    for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
      Map<String, Object> resource = attributes(resourceSpans.getResource());
      for (ScopeSpans scope : resourceSpans.getScopeSpansList()) {
        for (Span span : scope.getSpansList()) {
          out.add(new ReceivedSpan(hex.formatHex(span.getTraceId().toByteArray()),
              hex.formatHex(span.getSpanId().toByteArray()), hex.formatHex(span.getParentSpanId().toByteArray()),
              span.getName(), span.getKind().name(), attributes(span.getAttributesList()), resource,
              span.getStatus().getCode().name(), scope.getSchemaUrl(), span.getStartTimeUnixNano(),
              span.getEndTimeUnixNano()));
        }
      }
    }
    return out;
  }

  private static Map<String, Object> attributes(Resource resource) {
    return attributes(resource.getAttributesList());
  }

  private static Map<String, Object> attributes(List<KeyValue> keyValues) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (KeyValue kv : keyValues) {
      out.put(kv.getKey(), value(kv.getValue()));
    }
    return out;
  }

  private static Object value(AnyValue value) {
    return switch (value.getValueCase()) {
      case STRING_VALUE -> value.getStringValue();
      case INT_VALUE -> value.getIntValue();
      case DOUBLE_VALUE -> value.getDoubleValue();
      case BOOL_VALUE -> value.getBoolValue();
      case ARRAY_VALUE -> value.getArrayValue().getValuesList().stream().map(OtlpReceiver::value).toList();
      default -> String.valueOf(value);
    };
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
