package dev.spillway.dataplane.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.ContentPolicy;
import dev.spillway.config.LoggingConfig;
import dev.spillway.dataplane.json.Json;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** The writer against the real OpenTelemetry SDK, its finished spans collected by an exporter of the test's own. */
class SpanContentWriterTest {
  static final LoggingConfig REDACTED = new LoggingConfig(ContentPolicy.REDACTED, 7, List.of());
  static final LoggingConfig FULL = new LoggingConfig(ContentPolicy.FULL, 7, List.of());

  final List<SpanData> ended = new CopyOnWriteArrayList<>();
  final SdkTracerProvider provider = SdkTracerProvider.builder()
      .addSpanProcessor(SimpleSpanProcessor.create(new SpanExporter() {
        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
          ended.addAll(spans);
          return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
          return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
          return CompletableResultCode.ofSuccess();
        }
      })).build();
  SpanContentWriter writer;

  @AfterEach
  void close() {
    if (writer != null) {
      writer.close();
    }
    provider.close();
  }

  @Test
  void redactsEachTextAndEndsTheSpanAtTheTimeItWasDue() {
    writer = new SpanContentWriter(64 * 1024, 10);
    Span span = span();

    writer.endWithContent(span, 1_700_000_000_123_456_789L, new SpanContent(REDACTED,
        request(message("user", "mail me at ada@example.com")), () -> answer("Sure, ada@example.com.")));

    SpanData data = awaitOne();
    assertThat(data.getEndEpochNanos()).isEqualTo(1_700_000_000_123_456_789L);
    String input = data.getAttributes().get(GenAiAttributes.INPUT_MESSAGES);
    String output = data.getAttributes().get(GenAiAttributes.OUTPUT_MESSAGES);
    assertThat(input).contains("[REDACTED:email]").doesNotContain("ada@example.com");
    assertThat(output).contains("[REDACTED:email]").doesNotContain("ada@example.com");
    assertThat(data.getAttributes().get(GenAiAttributes.CONTENT_DROPPED)).isNull();
  }

  @Test
  void keepsTheLatestTurnsWhenTheConversationIsOverTheCap() {
    writer = new SpanContentWriter(1024, 10);
    ObjectNode request = request(message("user", "first " + "a".repeat(500)), message("assistant", "ok " + "b".repeat(400)),
        message("user", "latest question"));

    writer.endWithContent(span(), 1L, new SpanContent(FULL, request, () -> null));

    String input = awaitOne().getAttributes().get(GenAiAttributes.INPUT_MESSAGES);
    assertThat(input.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(1024);
    JsonNode kept = Json.parse(input.getBytes(StandardCharsets.UTF_8));
    assertThat(kept.get(kept.size() - 1).path("parts").path(0).path("content").asString())
        .isEqualTo("latest question");
    assertThat(input).doesNotContain("first ");
  }

  @Test
  void aTextLongerThanTheCapIsCutAtAWordEdge() {
    writer = new SpanContentWriter(1024, 10);
    String long_ = "word ".repeat(400) + "ada@example.com";

    writer.endWithContent(span(), 1L, new SpanContent(REDACTED, request(message("user", long_)), () -> null));

    String input = awaitOne().getAttributes().get(GenAiAttributes.INPUT_MESSAGES);
    assertThat(input.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(1024);
    String kept = Json.parse(input.getBytes(StandardCharsets.UTF_8)).path(0).path("parts").path(0).path("content")
        .asString();
    assertThat(kept).startsWith("word word ").endsWith("word ").hasSizeGreaterThan(256);
    assertThat(ended.get(0).getAttributes().get(GenAiAttributes.CONTENT_DROPPED)).isNull();
  }

  @Test
  void anAdminPatternThatRunsOutOfTimeLeavesAllContentOut() {
    writer = new SpanContentWriter(64 * 1024, 10);
    LoggingConfig slow = new LoggingConfig(ContentPolicy.REDACTED, 7, List.of("(.*a){25}"));

    writer.endWithContent(span(), 1L, new SpanContent(slow, request(message("user", "a".repeat(90) + "b")),
        () -> answer("fine")));

    SpanData data = awaitOne();
    assertThat(data.getAttributes().get(GenAiAttributes.INPUT_MESSAGES)).isNull();
    assertThat(data.getAttributes().get(GenAiAttributes.OUTPUT_MESSAGES)).isNull();
    assertThat(data.getAttributes().get(GenAiAttributes.CONTENT_DROPPED)).isTrue();
  }

  @Test
  void aFullQueueEndsTheSpanAtOnceWithoutContent() throws Exception {
    writer = new SpanContentWriter(64 * 1024, 1);
    CountDownLatch release = new CountDownLatch(1);
    // The first span's answer holds the writer's thread; the second waits in the queue; the third finds it full.
    // The first span goes straight to the writer's new thread and holds it; the second waits in the queue.
    writer.endWithContent(span(), 1L, new SpanContent(FULL, request(message("user", "one")), () -> {
      await().atMost(Duration.ofSeconds(10)).until(() -> release.getCount() == 0);
      return answer("one");
    }));
    writer.endWithContent(span(), 2L, new SpanContent(FULL, request(message("user", "two")), () -> answer("two")));

    writer.endWithContent(span(), 3L, new SpanContent(FULL, request(message("user", "three")),
        () -> answer("three")));

    // Ended on the caller's thread, before the writer got to anything.
    assertThat(ended).hasSize(1);
    SpanData bare = ended.get(0);
    assertThat(bare.getEndEpochNanos()).isEqualTo(3L);
    assertThat(bare.getAttributes().get(GenAiAttributes.INPUT_MESSAGES)).isNull();
    assertThat(bare.getAttributes().get(GenAiAttributes.CONTENT_DROPPED)).isTrue();
    release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> ended.size() == 3);
  }

  private Span span() {
    return provider.get("test").spanBuilder("chat m").startSpan();
  }

  private SpanData awaitOne() {
    await().atMost(Duration.ofSeconds(10)).until(() -> ended.size() == 1);
    return ended.get(0);
  }

  private static ObjectNode message(String role, String content) {
    return Json.object().put("role", role).put("content", content);
  }

  private static ObjectNode request(ObjectNode... messages) {
    ObjectNode request = Json.object().put("model", "m");
    for (ObjectNode message : messages) {
      request.withArray("messages").add(message);
    }
    return request;
  }

  private static ObjectNode answer(String text) {
    ObjectNode completion = Json.object().put("model", "m");
    completion.putArray("choices").addObject().put("finish_reason", "stop").putObject("message")
        .put("role", "assistant").put("content", text);
    return completion;
  }
}
