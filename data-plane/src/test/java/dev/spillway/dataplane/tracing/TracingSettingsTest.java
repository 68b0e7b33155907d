package dev.spillway.dataplane.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.dataplane.metrics.Endpoint;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TracingSettingsTest {
  @Test
  void isOffWithoutOtelVariables() {
    assertThat(TracingSettings.from(Map.of("PATH", "/bin")).enabled()).isFalse();
    assertThat(TracingSettings.from(Map.of()).open("n", "1")).isSameAs(Tracing.OFF);
  }

  @Test
  void isOnWithAnEndpointOrTheOtlpExporter() {
    assertThat(TracingSettings.from(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")).enabled())
        .isTrue();
    assertThat(TracingSettings.from(Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/v1/traces"))
        .enabled()).isTrue();
    assertThat(TracingSettings.from(Map.of("OTEL_TRACES_EXPORTER", "otlp")).enabled()).isTrue();
  }

  @Test
  void staysOffWhenTheSdkIsDisabledOrTheExporterIsNone() {
    assertThat(TracingSettings.from(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318",
        "OTEL_SDK_DISABLED", "true")).enabled()).isFalse();
    assertThat(TracingSettings.from(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318",
        "OTEL_TRACES_EXPORTER", "none")).enabled()).isFalse();
    assertThat(TracingSettings.from(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "")).enabled()).isFalse();
  }

  @Test
  void putsContentOnSpansOnlyWhenTheGenAiContentVariableSaysSo() {
    assertThat(TracingSettings.from(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")).capturesContent())
        .isFalse();
    assertThat(TracingSettings.from(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")).capturesContent()).isTrue();
    assertThat(TracingSettings.from(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "yes")).capturesContent()).isFalse();
    // Tracing off: nothing to put content on, whatever the variable says.
    assertThat(TracingSettings.from(Map.of("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true"))
        .capturesContent()).isFalse();
  }

  @Test
  void refusesAnExporterTheNodeDoesNotShip() {
    assertThatThrownBy(() -> TracingSettings.from(Map.of("OTEL_TRACES_EXPORTER", "zipkin")))
        .hasMessageContaining("OTEL_TRACES_EXPORTER: zipkin");
  }

  @Test
  void neverPrintsTheExportHeaders() {
    TracingSettings settings = TracingSettings.from(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318",
        "OTEL_EXPORTER_OTLP_HEADERS", "api-key=secret-collector-key"));

    assertThat(settings.properties()).containsEntry("otel.exporter.otlp.headers", "api-key=secret-collector-key");
    assertThat(settings.toString()).doesNotContain("secret-collector-key").contains("http://c:4318/v1/traces");
  }

  @Test
  void offPassesTheClientsTraceContextThroughAndMakesNothingWithoutIt() {
    HttpHeaders none = new DefaultHttpHeaders();
    assertThat(Tracing.OFF.start(Endpoint.CHAT_COMPLETIONS, none, "r", 0)).isSameAs(RequestTrace.NONE);

    HttpHeaders client = new DefaultHttpHeaders().set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-"
        + "00f067aa0ba902b7-01").set("tracestate", "a=b");
    assertThat(Tracing.OFF.start(Endpoint.CHAT_COMPLETIONS, client, "r", 0))
        .isEqualTo(new PassThrough(client.get("traceparent"), "a=b"));
  }
}
