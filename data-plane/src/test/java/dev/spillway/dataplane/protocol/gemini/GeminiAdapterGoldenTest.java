package dev.spillway.dataplane.protocol.gemini;

import dev.spillway.dataplane.protocol.ProviderGolden;
import dev.spillway.dataplane.provider.ProviderRuntime;
import static dev.spillway.dataplane.protocol.ProviderGolden.CLOCK;
import static dev.spillway.dataplane.protocol.ProviderGolden.TIMEOUTS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.GoldenFiles;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code gemini} adapter's three translations against golden files under {@code golden/gemini/}: canonical
 * request → GenerateContentRequest ({@code canonical-to-gemini}: the path and the body), GenerateContentResponse →
 * canonical completion ({@code gemini-to-canonical}) and a streamGenerateContent SSE stream → canonical chunks
 * ({@code stream-to-chunks}; the events are written as Gemini writes them, CRLF and all, and fed whole, byte by
 * byte and in random splits).
 */
class GeminiAdapterGoldenTest {
  private static final String REQUESTS = "/golden/gemini/canonical-to-gemini";
  private static final String RESPONSES = "/golden/gemini/gemini-to-canonical";
  private static final String STREAMS = "/golden/gemini/stream-to-chunks";

  static Stream<Arguments> requests() {
    return GoldenFiles.cases(REQUESTS);
  }

  static Stream<Arguments> responses() {
    return GoldenFiles.cases(RESPONSES);
  }

  static Stream<Arguments> streams() {
    return GoldenFiles.cases(STREAMS);
  }

  private static GeminiAdapter adapter() {
    return new GeminiAdapter(TIMEOUTS, CLOCK, () -> "chatcmpl-golden", ProviderGolden.counter("call_g"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requests")
  void translatesCanonicalRequestsToGenerateContentRequests(String name, ObjectNode input, ObjectNode expected) {
    ProviderRuntime provider = ProviderGolden.runtime(ProviderType.GEMINI,
        "https://generativelanguage.googleapis.com", Map.of(), "AIzaSy-test-key");
    ObjectNode before = input.deepCopy();

    UpstreamRequest request = adapter().chat(provider, input.path("model").asString(), ProviderGolden.call(input));

    ObjectNode actual = ProviderGolden.JSON.createObjectNode();
    actual.put("path", request.pathAndQuery());
    actual.set("body", ProviderGolden.body(request));
    ProviderGolden.assertGolden(REQUESTS, name, actual, expected);
    assertThat(input).as("the canonical request is not changed").isEqualTo(before);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("responses")
  void translatesGenerateContentResponsesToCanonicalCompletions(String name, ObjectNode input, ObjectNode expected) {
    ObjectNode actual = adapter().chatResponse(input, "gemini-2.5-flash");

    ProviderGolden.assertGolden(RESPONSES, name, actual, expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("streams")
  void translatesStreamedResponsesToCanonicalChunks(String name, ObjectNode input, ObjectNode expected) {
    byte[] sse = sse(input.path("events"));

    ArrayNode whole = ProviderGolden.decode(() -> adapter().newStreamDecoder("gemini-2.5-flash"), sse,
        ProviderGolden.whole(sse));
    ArrayNode byteByByte = ProviderGolden.decode(() -> adapter().newStreamDecoder("gemini-2.5-flash"), sse,
        ProviderGolden.byteByByte(sse));
    ArrayNode split = ProviderGolden.decode(() -> adapter().newStreamDecoder("gemini-2.5-flash"), sse,
        ProviderGolden.randomSplits(sse, name.hashCode()));

    ObjectNode actual = ProviderGolden.JSON.createObjectNode();
    actual.set("chunks", whole);
    ProviderGolden.assertGolden(STREAMS, name, actual, expected);
    assertThat(byteByByte).as("fed byte by byte").isEqualTo(whole);
    assertThat(split).as("fed in random splits").isEqualTo(whole);
  }

  static byte[] sse(JsonNode events) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (JsonNode event : events) {
      out.writeBytes(("data: " + event + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }
}
