package dev.spillway.dataplane.protocol.bedrock;

import dev.spillway.dataplane.protocol.ProviderGolden;
import dev.spillway.dataplane.provider.ProviderRuntime;
import static dev.spillway.dataplane.protocol.ProviderGolden.CLOCK;
import static dev.spillway.dataplane.protocol.ProviderGolden.TIMEOUTS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.GoldenFiles;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.testsupport.FakeBedrock;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code bedrock} adapter's three translations against golden files under {@code golden/bedrock/}: canonical
 * request → Converse request ({@code canonical-to-converse}: the path and the body), Converse response → canonical
 * completion ({@code converse-to-canonical}) and ConverseStream events → canonical chunks
 * ({@code stream-to-chunks}; the events are encoded as real event-stream frames and fed whole, byte by byte and in
 * random splits, which must all give the same chunks).
 */
class BedrockAdapterGoldenTest {
  private static final String REQUESTS = "/golden/bedrock/canonical-to-converse";
  private static final String RESPONSES = "/golden/bedrock/converse-to-canonical";
  private static final String STREAMS = "/golden/bedrock/stream-to-chunks";

  static Stream<Arguments> requests() {
    return GoldenFiles.cases(REQUESTS);
  }

  static Stream<Arguments> responses() {
    return GoldenFiles.cases(RESPONSES);
  }

  static Stream<Arguments> streams() {
    return GoldenFiles.cases(STREAMS);
  }

  private static BedrockAdapter adapter() {
    return new BedrockAdapter(TIMEOUTS, CLOCK, () -> "chatcmpl-golden");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requests")
  void translatesCanonicalRequestsToConverseRequests(String name, ObjectNode input, ObjectNode expected) {
    ProviderRuntime provider = ProviderGolden.runtime(ProviderType.BEDROCK,
        "https://bedrock-runtime.us-west-2.amazonaws.com", Map.of("access_key_id", "AKIDEXAMPLE"),
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    ObjectNode before = input.deepCopy();

    UpstreamRequest request = adapter().chat(provider, input.path("model").asString(), ProviderGolden.call(input));

    ObjectNode actual = ProviderGolden.JSON.createObjectNode();
    actual.put("path", request.uri().getRawPath());
    actual.set("body", ProviderGolden.body(request));
    ProviderGolden.assertGolden(REQUESTS, name, actual, expected);
    assertThat(input).as("the canonical request is not changed").isEqualTo(before);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("responses")
  void translatesConverseResponsesToCanonicalCompletions(String name, ObjectNode input, ObjectNode expected) {
    ObjectNode actual = adapter().chatResponse(input, "anthropic.claude-3-5-sonnet-20240620-v1:0");

    ProviderGolden.assertGolden(RESPONSES, name, actual, expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("streams")
  void translatesConverseStreamEventsToCanonicalChunks(String name, ObjectNode input, ObjectNode expected) {
    byte[] frames = frames(input.path("events"));
    BedrockAdapter adapter = adapter();

    ArrayNode whole = ProviderGolden.decode(() -> adapter.newStreamDecoder("claude"), frames,
        ProviderGolden.whole(frames));
    ArrayNode byteByByte = ProviderGolden.decode(() -> adapter.newStreamDecoder("claude"), frames,
        ProviderGolden.byteByByte(frames));
    ArrayNode split = ProviderGolden.decode(() -> adapter.newStreamDecoder("claude"), frames,
        ProviderGolden.randomSplits(frames, name.hashCode()));

    ObjectNode actual = ProviderGolden.JSON.createObjectNode();
    actual.set("chunks", whole);
    ProviderGolden.assertGolden(STREAMS, name, actual, expected);
    assertThat(byteByByte).as("fed byte by byte").isEqualTo(whole);
    assertThat(split).as("fed in random splits").isEqualTo(whole);
  }

  /** The events as ConverseStream frames, in the fake's encoding (the eventstream library's Message.encode). */
  static byte[] frames(JsonNode events) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (JsonNode event : events) {
      byte[] frame = event.has("exception")
          ? FakeBedrock.exception(event.path("exception").asString(), event.path("message").asString())
          : FakeBedrock.event(event.path("event").asString(), (ObjectNode) event.path("payload").deepCopy());
      out.writeBytes(frame);
    }
    return out.toByteArray();
  }
}
