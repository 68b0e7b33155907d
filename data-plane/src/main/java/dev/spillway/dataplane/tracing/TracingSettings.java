package dev.spillway.dataplane.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether and how a node traces, from the standard OpenTelemetry variables (docs/observability.md, "Tracing").
 *
 * <p>Off by default. On when {@code OTEL_TRACES_EXPORTER=otlp}, or when {@code OTEL_EXPORTER_OTLP_ENDPOINT} or
 * {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} is set and {@code OTEL_TRACES_EXPORTER} does not say otherwise; never
 * with {@code OTEL_SDK_DISABLED=true}. When on, the SDK's autoconfigure module reads every other {@code OTEL_*}
 * variable as usual (service name, resource attributes, sampler, headers, timeouts, the batch processor's queue),
 * with these differences: the service name defaults to {@code spillway-node}, the protocol is always
 * {@code http/protobuf} (the node ships no gRPC), and only traces are exported (the node's metrics are Prometheus).
 *
 * <p>Content (prompts and answers) goes on spans only with
 * {@code OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true} (the variable OpenTelemetry's GenAI instrumentations
 * read), and then only for requests whose team or key content policy keeps content, redacted under
 * {@code redacted}.
 *
 * @param enabled    whether spans are made and exported
 * @param properties the {@code OTEL_*} variables, as the autoconfigure module's properties ({@code otel.…})
 */
public record TracingSettings(boolean enabled, Map<String, String> properties) {
  private static final Logger log = LoggerFactory.getLogger(TracingSettings.class);
  /** The service name when {@code OTEL_SERVICE_NAME} (or {@code service.name} in the resource attributes) is unset. */
  public static final String DEFAULT_SERVICE_NAME = "spillway-node";
  private static final String PROTOCOL = "http/protobuf";
  private static final AttributeKey<String> SERVICE_INSTANCE_ID = AttributeKey.stringKey("service.instance.id");
  private static final AttributeKey<String> SERVICE_VERSION = AttributeKey.stringKey("service.version");

  public static final TracingSettings OFF = new TracingSettings(false, Map.of());

  public TracingSettings {
    properties = Map.copyOf(Objects.requireNonNull(properties, "properties"));
  }

  /** From the environment (its {@code OTEL_*} variables). */
  public static TracingSettings from(Map<String, String> env) {
    Map<String, String> properties = new LinkedHashMap<>();
    env.forEach((name, value) -> {
      if (name.startsWith("OTEL_") && value != null && !value.isBlank()) {
        properties.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), value.strip());
      }
    });
    if ("true".equalsIgnoreCase(properties.get("otel.sdk.disabled"))) {
      return OFF;
    }
    String exporter = properties.get("otel.traces.exporter");
    boolean endpoint = properties.containsKey("otel.exporter.otlp.endpoint")
        || properties.containsKey("otel.exporter.otlp.traces.endpoint");
    boolean enabled = exporter == null ? endpoint : exporter.strip().equalsIgnoreCase("otlp");
    if (exporter != null && !enabled && !exporter.strip().equalsIgnoreCase("none")) {
      throw new IllegalArgumentException("OTEL_TRACES_EXPORTER: " + exporter + " (expected: otlp or none)");
    }
    return enabled ? new TracingSettings(true, properties) : OFF;
  }

  /**
   * The node's tracing: {@link Tracing#OFF}, or the SDK configured from these settings, its resource naming the
   * node ({@code service.instance.id}) and its version.
   */
  public Tracing open(String nodeId, String version) {
    return open(nodeId, version, 64 * 1024);
  }

  /** Whether content may go on spans at all: {@code OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true}. */
  public boolean capturesContent() {
    return enabled && "true".equalsIgnoreCase(properties.get("otel.instrumentation.genai.capture.message.content"));
  }

  /** As {@link #open(String, String)}, content attributes holding at most {@code contentMaxBytes} each. */
  public Tracing open(String nodeId, String version, int contentMaxBytes) {
    if (!enabled) {
      return Tracing.OFF;
    }
    Map<String, String> config = new LinkedHashMap<>();
    config.put("otel.service.name", DEFAULT_SERVICE_NAME);
    config.putAll(properties);
    for (String key : new String[] {"otel.exporter.otlp.protocol", "otel.exporter.otlp.traces.protocol"}) {
      String asked = config.get(key);
      if (asked != null && !asked.equalsIgnoreCase(PROTOCOL)) {
        log.warn("{}={} is not supported by this node; exporting with {}", key, asked, PROTOCOL);
      }
      config.put(key, PROTOCOL);
    }
    // The SDK reads the process environment and system properties too, and they win over this map: what the node
    // cannot do otherwise is forced by a customizer, which wins over both.
    Map<String, String> forced = Map.of("otel.traces.exporter", "otlp", "otel.metrics.exporter", "none",
        "otel.logs.exporter", "none", "otel.propagators", "tracecontext",
        "otel.exporter.otlp.protocol", PROTOCOL, "otel.exporter.otlp.traces.protocol", PROTOCOL);
    OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> config)
        .addPropertiesCustomizer(properties -> forced)
        .addResourceCustomizer((resource, properties) -> resource.merge(Resource.create(
            withoutOverriding(resource, nodeId, version))))
        .disableShutdownHook()
        .build()
        .getOpenTelemetrySdk();
    log.info("Tracing on: OTLP/HTTP to {}, service {}", endpointOf(config), config.get("otel.service.name"));
    return new OtelTracing(sdk, version, capturesContent() ? new SpanContentWriter(contentMaxBytes, 1_000) : null);
  }

  /** {@code service.instance.id} and {@code service.version}, unless the resource attributes already name them. */
  private static Attributes withoutOverriding(Resource resource, String nodeId, String version) {
    var attributes = Attributes.builder();
    if (resource.getAttribute(SERVICE_INSTANCE_ID) == null && nodeId != null) {
      attributes.put(SERVICE_INSTANCE_ID, nodeId);
    }
    if (resource.getAttribute(SERVICE_VERSION) == null && version != null) {
      attributes.put(SERVICE_VERSION, version);
    }
    return attributes.build();
  }

  private static String endpointOf(Map<String, String> config) {
    String traces = config.get("otel.exporter.otlp.traces.endpoint");
    if (traces != null) {
      return traces;
    }
    String base = config.getOrDefault("otel.exporter.otlp.endpoint", "http://localhost:4318");
    return base.endsWith("/") ? base + "v1/traces" : base + "/v1/traces";
  }

  /** The headers may hold credentials (an API key for the collector): never printed. */
  @Override
  public String toString() {
    return "TracingSettings[enabled=" + enabled + ", endpoint=" + (enabled ? endpointOf(properties) : null) + "]";
  }
}
