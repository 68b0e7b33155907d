package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.spillway.config.ContentPolicy;
import dev.spillway.config.LoggingConfig;
import dev.spillway.config.ProviderType;
import dev.spillway.config.RetryConfig;
import dev.spillway.dataplane.tracing.GenAiAttributes;
import dev.spillway.testsupport.FakeAnthropic;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.OtlpReceiver;
import dev.spillway.testsupport.OtlpReceiver.ReceivedSpan;
import dev.spillway.testsupport.RecordedRequest;
import dev.spillway.testsupport.Snapshots;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * OpenTelemetry traces of real requests through two nodes — one exporting to a real OTLP/HTTP receiver, one with
 * tracing off — with a route whose first target fails and whose fallback streams the answer.
 */
@ExtendWith(NoLeaksExtension.class)
class TracingIT {
  static final String KEY = "sk-sw-tracing0000000000000000000000000000000";
  static final String FULL_KEY = "sk-sw-tracingfull00000000000000000000000000";
  static final String FIRST_SECRET = "sk-first-upstream-000000000000";
  static final String SECOND_SECRET = "sk-second-upstream-00000000000";
  static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String CLIENT_SPAN_ID = "00f067aa0ba902b7";
  static final String TRACEPARENT = "00-" + TRACE_ID + "-" + CLIENT_SPAN_ID + "-01";
  static final String TRACESTATE = "vendor=opaque";

  static FakeProvider first;
  static FakeProvider second;
  static FakeAnthropic claude;
  static FakeControlPlane controlPlane;
  static OtlpReceiver receiver;
  static SpillwayNode traced;
  static SpillwayNode untraced;
  static HttpClient http;
  static final tools.jackson.databind.json.JsonMapper JSON = tools.jackson.databind.json.JsonMapper.builder().build();

  @BeforeAll
  static void start() throws Exception {
    first = FakeProvider.start();
    second = FakeProvider.start();
    claude = FakeAnthropic.start();
    receiver = OtlpReceiver.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .team("t2", new LoggingConfig(ContentPolicy.FULL, 7, List.of()))
        .key("t2", FULL_KEY)
        .provider("first", ProviderType.OPENAI_COMPATIBLE, first.baseUrl(), FIRST_SECRET)
        .provider("second", ProviderType.OPENAI, second.baseUrl(), SECOND_SECRET)
        .provider("claude", ProviderType.ANTHROPIC, claude.baseUrl(), "sk-ant-upstream-0000000000000")
        .route("assistant", List.of("first/m1"), List.of("second/m2"), RetryConfig.NONE)
        .build());
    traced = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("tracing-on"), Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint().toString(),
        "OTEL_BSP_SCHEDULE_DELAY", "50",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true",
        "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test"));
    untraced = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("tracing-off"), Map.of());
    TestNodes.awaitVersion(traced, 1);
    TestNodes.awaitVersion(untraced, 1);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    traced.close();
    untraced.close();
    controlPlane.close();
    receiver.close();
    first.close();
    second.close();
    claude.close();
  }

  @BeforeEach
  void clear() {
    first.reset();
    second.reset();
    claude.reset();
    receiver.clear();
  }

  @Test
  void streamedChatWithFallbackIsOneServerSpanWithAClientSpanPerAttemptInTheClientsTrace() throws Exception {
    first.enqueue(FakeResponse.error(503, "overloaded"));
    second.enqueue(FakeResponse.stream().chunkCount(3).usage(12, 5).reportedModel("m2-2026-01-15")
        .finishReason("length"));

    HttpResponse<String> response = post(traced, chat("assistant", true), true);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("[DONE]");
    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.spans().size() >= 3);
    List<ReceivedSpan> spans = receiver.spans();
    assertThat(spans).hasSize(3);
    ReceivedSpan server = only(spans, "SPAN_KIND_SERVER");
    List<ReceivedSpan> clients = spans.stream().filter(s -> s.kind().equals("SPAN_KIND_CLIENT"))
        .sorted(java.util.Comparator.comparingLong(ReceivedSpan::startEpochNanos)).toList();
    assertThat(clients).hasSize(2);
    ReceivedSpan failed = clients.get(0);
    ReceivedSpan served = clients.get(1);

    // One trace, the client's; the server span is the child of the client's span, the attempts of the server span.
    assertThat(spans).allSatisfy(s -> assertThat(s.traceId()).isEqualTo(TRACE_ID));
    assertThat(server.parentSpanId()).isEqualTo(CLIENT_SPAN_ID);
    assertThat(clients).allSatisfy(c -> assertThat(c.parentSpanId()).isEqualTo(server.spanId()));
    assertThat(server.schemaUrl()).isEqualTo(GenAiAttributes.SCHEMA_URL);
    assertThat(server.resource()).containsEntry("service.name", "spillway-node")
        .containsEntry("deployment.environment.name", "test")
        .containsKey("service.instance.id");

    assertThat(server.name()).isEqualTo("POST /v1/chat/completions");
    assertThat(server.attributes())
        .containsEntry("http.request.method", "POST")
        .containsEntry("http.route", "/v1/chat/completions")
        .containsEntry("http.response.status_code", 200L)
        .containsEntry("gen_ai.operation.name", "chat")
        .containsEntry("gen_ai.request.model", "assistant")
        .containsEntry("gen_ai.provider.name", "openai")
        .containsEntry("gen_ai.response.model", "m2-2026-01-15")
        .containsEntry("gen_ai.response.finish_reasons", List.of("length"))
        .containsEntry("gen_ai.usage.input_tokens", 12L)
        .containsEntry("gen_ai.usage.output_tokens", 5L)
        .containsEntry("spillway.key_id", "key-0")
        .containsEntry("spillway.team_id", "t1")
        .containsEntry("spillway.route", "assistant")
        .containsEntry("spillway.provider", "second")
        .containsEntry("spillway.attempts", 2L)
        .containsEntry("spillway.request_id", response.headers().firstValue("x-request-id").orElseThrow())
        .doesNotContainKey("error.type");
    assertThat((Double) server.attribute("spillway.ttft_ms")).isPositive();
    assertThat(server.statusCode()).isEqualTo("STATUS_CODE_UNSET");

    assertThat(failed.name()).isEqualTo("chat m1");
    assertThat(failed.attributes())
        .containsEntry("gen_ai.operation.name", "chat")
        .containsEntry("gen_ai.provider.name", "first")
        .containsEntry("gen_ai.request.model", "m1")
        .containsEntry("http.response.status_code", 503L)
        .containsEntry("error.type", "503")
        .containsEntry("server.address", "127.0.0.1")
        .containsEntry("server.port", (long) first.port())
        .containsEntry("spillway.attempt", "first")
        .doesNotContainKey("gen_ai.usage.input_tokens")
        .doesNotContainKey("gen_ai.response.model")
        .doesNotContainKey("gen_ai.response.finish_reasons");
    assertThat(failed.statusCode()).isEqualTo("STATUS_CODE_ERROR");

    assertThat(served.name()).isEqualTo("chat m2");
    assertThat(served.attributes())
        .containsEntry("gen_ai.provider.name", "openai")
        .containsEntry("gen_ai.request.model", "m2")
        .containsEntry("gen_ai.response.model", "m2-2026-01-15")
        .containsEntry("gen_ai.response.finish_reasons", List.of("length"))
        .containsEntry("http.response.status_code", 200L)
        .containsEntry("gen_ai.usage.input_tokens", 12L)
        .containsEntry("gen_ai.usage.output_tokens", 5L)
        .containsEntry("server.port", (long) second.port())
        .containsEntry("spillway.attempt", "fallback")
        .doesNotContainKey("error.type")
        // The key's team keeps no content (the default policy): none on any span, though the node may capture it.
        .doesNotContainKey("gen_ai.input.messages")
        .doesNotContainKey("gen_ai.output.messages");
    assertThat((Double) served.attribute("spillway.ttft_ms")).isPositive();
    assertThat(served.startEpochNanos()).isGreaterThanOrEqualTo(failed.endEpochNanos());
    assertThat(server.startEpochNanos()).isLessThanOrEqualTo(failed.startEpochNanos());
    assertThat(server.endEpochNanos()).isGreaterThanOrEqualTo(served.endEpochNanos());

    // Each provider got the trace context of its own attempt's span, and the client's tracestate.
    assertThat(first.lastRequest().header("traceparent")).isEqualTo("00-" + TRACE_ID + "-" + failed.spanId() + "-01");
    assertThat(second.lastRequest().header("traceparent"))
        .isEqualTo("00-" + TRACE_ID + "-" + served.spanId() + "-01");
    assertThat(second.lastRequest().header("tracestate")).isEqualTo(TRACESTATE);

    // No secret in any span: not the virtual key, not the provider keys.
    assertThat(spans.toString()).doesNotContain(KEY, FIRST_SECRET, SECOND_SECRET, "Bearer");
  }

  @Test
  void aRequestWithoutTraceparentStartsATraceOfItsOwn() throws Exception {
    second.enqueue(FakeResponse.chat().usage(3, 2).reportedModel("m2-2026-01-15"));

    HttpResponse<String> response = post(traced, chat("second/m2", false), false);

    assertThat(response.statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.spans().size() >= 2);
    ReceivedSpan server = only(receiver.spans(), "SPAN_KIND_SERVER");
    ReceivedSpan client = only(receiver.spans(), "SPAN_KIND_CLIENT");
    assertThat(server.parentSpanId()).isEmpty();
    assertThat(server.traceId()).isNotEqualTo(TRACE_ID).hasSize(32);
    assertThat(server.attributes()).containsEntry("gen_ai.request.model", "second/m2")
        .containsEntry("spillway.attempts", 1L).doesNotContainKey("spillway.route")
        .doesNotContainKey("spillway.ttft_ms");
    // A complete answer passed through as it came is read for what it says about itself, too.
    assertThat(client.attributes()).containsEntry("gen_ai.response.model", "m2-2026-01-15")
        .containsEntry("gen_ai.response.finish_reasons", List.of("stop"));
    assertThat(client.parentSpanId()).isEqualTo(server.spanId());
    assertThat(second.lastRequest().header("traceparent"))
        .isEqualTo("00-" + server.traceId() + "-" + client.spanId() + "-01");
  }

  @Test
  void anAnthropicStreamPassedThroughGivesTheProvidersStopReasonAndModel() throws Exception {
    claude.enqueue(FakeAnthropic.Reply.text("Bonjour").stopReason("max_tokens").usage(9, 4));

    HttpResponse<String> response = send(traced, "/v1/messages", "{\"model\":\"claude/c1\",\"max_tokens\":50,"
        + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("message_stop");
    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.spans().size() >= 2);
    ReceivedSpan client = only(receiver.spans(), "SPAN_KIND_CLIENT");
    assertThat(client.attributes()).containsEntry("gen_ai.provider.name", "anthropic")
        .containsEntry("gen_ai.response.model", "c1")
        .containsEntry("gen_ai.response.finish_reasons", List.of("max_tokens"))
        .containsEntry("gen_ai.usage.input_tokens", 9L)
        .containsEntry("gen_ai.usage.output_tokens", 4L);
  }

  @Test
  void aTranslatedAnswerGivesItsFinishReasonInTheClientsTerms() throws Exception {
    claude.enqueue(FakeAnthropic.Reply.text("Bonjour").stopReason("max_tokens"),
        FakeAnthropic.Reply.text("Bonjour").stopReason("end_turn"));

    assertThat(post(traced, chat("claude/c1", true), false).statusCode()).isEqualTo(200);
    assertThat(post(traced, chat("claude/c1", false), false).statusCode()).isEqualTo(200);

    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.spans().size() >= 4);
    List<ReceivedSpan> clients = receiver.spans().stream().filter(s -> s.kind().equals("SPAN_KIND_CLIENT"))
        .sorted(java.util.Comparator.comparingLong(ReceivedSpan::startEpochNanos)).toList();
    assertThat(clients).hasSize(2);
    assertThat(clients.get(0).attributes()).containsEntry("gen_ai.response.model", "c1")
        .containsEntry("gen_ai.response.finish_reasons", List.of("length"));
    assertThat(clients.get(1).attributes()).containsEntry("gen_ai.response.model", "c1")
        .containsEntry("gen_ai.response.finish_reasons", List.of("stop"));
  }

  @Test
  void underAPolicyThatKeepsContentTheServingAttemptCarriesTheConversation() throws Exception {
    second.enqueue(FakeResponse.stream().chunks(List.of("Paris ", "is ", "sunny")).finishReason("stop"));
    String body = "{\"model\":\"second/m2\",\"stream\":true,\"messages\":["
        + "{\"role\":\"system\",\"content\":\"You answer briefly.\"},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Weather in Paris?\"},"
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}]},"
        + "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
        + "\"function\":{\"name\":\"weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
        + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sunny, 21C\"}]}";

    HttpResponse<String> response = http.send(HttpRequest.newBuilder(TestNodes.uri(traced, "/v1/chat/completions"))
        .header("content-type", "application/json").header("Authorization", "Bearer " + FULL_KEY)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.spans().size() >= 2);
    ReceivedSpan client = only(receiver.spans(), "SPAN_KIND_CLIENT");
    ReceivedSpan server = only(receiver.spans(), "SPAN_KIND_SERVER");
    assertThat(JSON.readTree((String) client.attribute("gen_ai.system_instructions")))
        .isEqualTo(JSON.readTree("[{\"type\":\"text\",\"content\":\"You answer briefly.\"}]"));
    assertThat(JSON.readTree((String) client.attribute("gen_ai.input.messages"))).isEqualTo(JSON.readTree("["
        + "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Weather in Paris?\"},"
        + "{\"type\":\"blob\",\"modality\":\"image\",\"mime_type\":\"image/png\"}]},"
        + "{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"id\":\"call_1\",\"name\":\"weather\","
        + "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}]},"
        + "{\"role\":\"tool\",\"parts\":[{\"type\":\"tool_call_response\",\"id\":\"call_1\","
        + "\"response\":\"sunny, 21C\"}]}]"));
    assertThat(JSON.readTree((String) client.attribute("gen_ai.output.messages"))).isEqualTo(JSON.readTree(
        "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"Paris is sunny\"}],"
        + "\"finish_reason\":\"stop\"}]"));
    // Content goes on the inference span only, and its end is the answer's, not the time content took to write.
    assertThat(server.attributes()).doesNotContainKey("gen_ai.input.messages");
    assertThat(client.endEpochNanos()).isLessThanOrEqualTo(server.endEpochNanos());
  }

  @Test
  void responsesAndCompletionsAnswersGoOnSpansToo() throws Exception {
    second.enqueue(FakeResponse.stream().chunks(List.of("Bon", "jour")), FakeResponse.chat().content("Once upon"));

    for (String[] call : new String[][] {
        {"/v1/responses", "{\"model\":\"second/m2\",\"input\":\"Say hello\",\"stream\":true}"},
        {"/v1/completions", "{\"model\":\"second/m2\",\"prompt\":\"Tell a story\"}"}}) {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(TestNodes.uri(traced, call[0]))
          .header("content-type", "application/json").header("Authorization", "Bearer " + FULL_KEY)
          .POST(HttpRequest.BodyPublishers.ofString(call[1])).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.spans().size() >= 4);
    List<ReceivedSpan> clients = receiver.spans().stream().filter(s -> s.kind().equals("SPAN_KIND_CLIENT"))
        .sorted(java.util.Comparator.comparingLong(ReceivedSpan::startEpochNanos)).toList();
    assertThat(clients).hasSize(2);
    assertThat((String) clients.get(0).attribute("gen_ai.input.messages")).contains("Say hello");
    assertThat(JSON.readTree((String) clients.get(0).attribute("gen_ai.output.messages"))).isEqualTo(JSON.readTree(
        "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"Bonjour\"}],"
        + "\"finish_reason\":\"stop\"}]"));
    assertThat((String) clients.get(1).attribute("gen_ai.input.messages")).contains("Tell a story");
    assertThat((String) clients.get(1).attribute("gen_ai.output.messages")).contains("Once upon");
  }

  @Test
  void aRefusedRequestIsAServerSpanWithItsErrorType() throws Exception {
    HttpResponse<String> response = post(traced, chat("no-such-model", false), true);

    assertThat(response.statusCode()).isEqualTo(404);
    await().atMost(Duration.ofSeconds(10)).until(() -> !receiver.spans().isEmpty());
    ReceivedSpan server = only(receiver.spans(), "SPAN_KIND_SERVER");
    assertThat(server.attributes()).containsEntry("error.type", "model_not_found")
        .containsEntry("http.response.status_code", 404L);
    assertThat(server.traceId()).isEqualTo(TRACE_ID);
    assertThat(server.statusCode()).isEqualTo("STATUS_CODE_UNSET");
    assertThat(receiver.spans()).hasSize(1);
  }

  @Test
  void withTracingOffNothingIsExportedAndTheProviderGetsTheClientsTraceContextUnchanged() throws Exception {
    first.enqueue(FakeResponse.error(503, "overloaded"));
    second.enqueue(FakeResponse.stream().chunkCount(3).usage(12, 5));
    int exportsBefore = receiver.requests();

    HttpResponse<String> response = post(untraced, chat("assistant", true), true);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(first.lastRequest().header("traceparent")).isEqualTo(TRACEPARENT);
    RecordedRequest served = second.lastRequest();
    assertThat(served.header("traceparent")).isEqualTo(TRACEPARENT);
    assertThat(served.header("tracestate")).isEqualTo(TRACESTATE);

    // The traced node exports on its own schedule; one of its requests proves the receiver would have seen ours.
    second.enqueue(FakeResponse.chat());
    assertThat(post(traced, chat("second/m2", false), false).statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.spans().size() >= 2);
    // Only the traced request's two spans: none in the trace the untraced node's client sent.
    assertThat(receiver.spans()).hasSize(2).allSatisfy(s -> assertThat(s.traceId()).isNotEqualTo(TRACE_ID));
    assertThat(receiver.requests()).isGreaterThan(exportsBefore);
  }

  @Test
  void withoutTraceparentAnUntracedNodeSendsNone() throws Exception {
    second.enqueue(FakeResponse.chat());

    assertThat(post(untraced, chat("second/m2", false), false).statusCode()).isEqualTo(200);

    assertThat(second.lastRequest().header("traceparent")).isNull();
    assertThat(second.lastRequest().header("tracestate")).isNull();
  }

  private static ReceivedSpan only(List<ReceivedSpan> spans, String kind) {
    List<ReceivedSpan> matching = spans.stream().filter(s -> s.kind().equals(kind)).toList();
    assertThat(matching).as("%s spans in %s", kind, spans).hasSize(1);
    return matching.get(0);
  }

  static String chat(String model, boolean stream) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  private static HttpResponse<String> post(SpillwayNode node, String body, boolean withTraceContext)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(TestNodes.uri(node, "/v1/chat/completions"))
        .header("content-type", "application/json")
        .header("Authorization", "Bearer " + KEY);
    if (withTraceContext) {
      request.header("traceparent", TRACEPARENT).header("tracestate", TRACESTATE);
    }
    return http.send(request.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> send(SpillwayNode node, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(TestNodes.uri(node, path))
        .header("content-type", "application/json")
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
