package dev.spillway.dataplane.protocol.gemini;

import dev.spillway.dataplane.protocol.ProviderGolden;
import dev.spillway.dataplane.provider.ProviderRuntime;
import static dev.spillway.dataplane.protocol.ProviderGolden.CLOCK;
import static dev.spillway.dataplane.protocol.ProviderGolden.JSON;
import static dev.spillway.dataplane.protocol.ProviderGolden.TIMEOUTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.protocol.ChatStreamDecoder;
import dev.spillway.dataplane.protocol.ProviderStreamError;
import dev.spillway.dataplane.protocol.framing.SseDecoder;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** The gemini adapter's URLs and key header, refusals, signatures in tool call ids, embeddings and stream errors. */
class GeminiAdapterTest {
  private static final String KEY = "AIzaSy-secret-test-key";

  private final GeminiAdapter adapter = new GeminiAdapter(TIMEOUTS, CLOCK, () -> "chatcmpl-test",
      ProviderGolden.counter("call_t"));

  private static ProviderRuntime provider(String baseUrl, Map<String, String> settings) {
    return ProviderGolden.runtime(ProviderType.GEMINI, baseUrl, settings, KEY);
  }

  private static ObjectNode chat(String messagesJson) {
    return (ObjectNode) JSON.readTree("{\"model\":\"m\",\"messages\":" + messagesJson + "}");
  }

  private UpstreamRequest send(ProviderRuntime provider, String model, ObjectNode canonical) {
    UpstreamRequest request = adapter.chat(provider, model, ProviderGolden.call(canonical));
    request.body().release();
    return request;
  }

  @Test
  void sendsTheKeyInTheGoogHeaderAndNeverInTheUrl() {
    UpstreamRequest request = send(provider("https://generativelanguage.googleapis.com", Map.of()),
        "gemini-2.5-flash", chat("[{\"role\":\"user\",\"content\":\"hi\"}]"));

    assertThat(request.headers().get("x-goog-api-key")).isEqualTo(KEY);
    assertThat(request.headers().contains("Authorization")).isFalse();
    assertThat(request.uri().toString()).doesNotContain(KEY)
        .isEqualTo("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent");
  }

  @Test
  void usesAVersionedBaseUrlAsItIsAndHonoursApiVersion() {
    ObjectNode hi = chat("[{\"role\":\"user\",\"content\":\"hi\"}]");

    assertThat(send(provider("http://127.0.0.1:9/v1beta", Map.of()), "models/gemini-2.0-flash", hi).pathAndQuery())
        .isEqualTo("/v1beta/models/gemini-2.0-flash:generateContent");
    assertThat(send(provider("http://127.0.0.1:9", Map.of("api_version", "v1")), "gemini-2.0-flash", hi)
        .pathAndQuery()).isEqualTo("/v1/models/gemini-2.0-flash:generateContent");
  }

  private GatewayException refusal(ObjectNode canonical) {
    Throwable thrown = catchThrowable(() -> send(provider("https://generativelanguage.googleapis.com", Map.of()),
        "gemini-2.5-flash", canonical));
    assertThat(thrown).isInstanceOf(GatewayException.class);
    assertThat(((GatewayException) thrown).error()).isEqualTo(GatewayError.INVALID_REQUEST);
    return (GatewayException) thrown;
  }

  @Test
  void refusesWhatGeminiCannotExpressNamingTheField() {
    assertThat(refusal(chat("[{\"role\":\"tool\",\"tool_call_id\":\"nope\",\"content\":\"x\"}]")).param())
        .isEqualTo("messages[0].tool_call_id");
    assertThat(refusal(chat("[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
        + "\"function\":{\"name\":\"f\",\"arguments\":\"[1,2]\"}}]}]")).param())
        .isEqualTo("messages[0].tool_calls[0].function.arguments");
    assertThat(refusal(chat("[{\"role\":\"user\",\"content\":[{\"type\":\"file\",\"file\":{\"file_id\":\"f-1\"}}]}]"))
        .param()).isEqualTo("messages[0].content[0].file.file_data");
    assertThat(refusal(chat("[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":"
        + "\"ftp://x/y.png\"}}]}]")).param()).isEqualTo("messages[0].content[0].image_url.url");
    ObjectNode recursive = chat("[{\"role\":\"user\",\"content\":\"x\"}]");
    recursive.set("tools", JSON.readTree("[{\"type\":\"function\",\"function\":{\"name\":\"tree\",\"parameters\":"
        + "{\"type\":\"object\",\"properties\":{\"node\":{\"$ref\":\"#/$defs/node\"}},\"$defs\":{\"node\":"
        + "{\"type\":\"object\",\"properties\":{\"child\":{\"$ref\":\"#/$defs/node\"}}}}}}}]"));
    assertThat(refusal(recursive).getMessage()).contains("recursive $ref");
    ObjectNode remote = chat("[{\"role\":\"user\",\"content\":\"x\"}]");
    remote.set("response_format", JSON.readTree("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"r\","
        + "\"schema\":{\"$ref\":\"https://example.com/schema.json\"}}}"));
    assertThat(refusal(remote).param()).isEqualTo("response_format.json_schema.schema");
    assertThat(refusal((ObjectNode) chat("[{\"role\":\"user\",\"content\":\"x\"}]").put("reasoning_effort", "max"))
        .param()).isEqualTo("reasoning_effort");
  }

  @Test
  void carriesThoughtSignaturesThroughToolCallIdsUnchanged() {
    Random random = new Random(3);
    for (int i = 0; i < 200; i++) {
      byte[] bytes = new byte[1 + random.nextInt(300)];
      random.nextBytes(bytes);
      String signature = Base64.getEncoder().encodeToString(bytes);
      ObjectNode part = (ObjectNode) JSON.readTree("{\"functionCall\":{\"name\":\"f\",\"args\":{}}}");
      part.put("thoughtSignature", signature);

      String id = GeminiResponseTranslator.toolCall(part, -1, "call_" + i).path("id").asString();

      assertThat(id).matches("[A-Za-z0-9_-]+");
      assertThat(GeminiRequestTranslator.signatureOf(id)).isEqualTo(signature);
    }
    assertThat(GeminiRequestTranslator.signatureOf("call_plain")).isNull();
  }

  @Test
  void replaysASignedCallWithItsSignatureOnTheNextTurn() {
    JsonNode answer = adapter.chatResponse(JSON.readTree("{\"candidates\":[{\"content\":{\"role\":\"model\","
        + "\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":{\"a\":1}},\"thoughtSignature\":\"AbC+/9==\"}]},"
        + "\"finishReason\":\"STOP\"}]}"), "gemini-3-pro-preview");
    ObjectNode next = chat("[{\"role\":\"user\",\"content\":\"go\"}]");
    ObjectNode assistant = (ObjectNode) answer.path("choices").get(0).path("message").deepCopy();
    ((tools.jackson.databind.node.ArrayNode) next.get("messages")).add(assistant);
    String id = assistant.path("tool_calls").get(0).path("id").asString();
    ((tools.jackson.databind.node.ArrayNode) next.get("messages")).add(JSON.createObjectNode().put("role", "tool")
        .put("tool_call_id", id).put("content", "done"));

    JsonNode body = GeminiRequestTranslator.translate(next, "gemini-3-pro-preview");

    JsonNode call = body.path("contents").get(1).path("parts").get(0);
    assertThat(call.path("thoughtSignature").asString()).isEqualTo("AbC+/9==");
    assertThat(body.path("contents").get(2).path("parts").get(0).path("functionResponse").path("name").asString())
        .isEqualTo("f");
  }

  @Test
  void embedsTextsInOneBatchAndAnswersInOpenAiShape() {
    ObjectNode request = (ObjectNode) JSON.readTree("{\"model\":\"e\",\"input\":[\"a\",\"bb\"],\"dimensions\":3,"
        + "\"encoding_format\":\"float\"}");

    UpstreamRequest upstream = adapter.embeddings(provider("https://generativelanguage.googleapis.com", Map.of()),
        "text-embedding-004", request);
    JsonNode body = ProviderGolden.body(upstream);
    ObjectNode list = adapter.embeddingsResponse(JSON.readTree("{\"embeddings\":[{\"values\":[0.1,0.2,0.3]},"
        + "{\"values\":[0.4,0.5,0.6]}]}"), "text-embedding-004");

    assertThat(upstream.uri().toString()).isEqualTo(
        "https://generativelanguage.googleapis.com/v1beta/models/text-embedding-004:batchEmbedContents");
    assertThat(upstream.headers().get("x-goog-api-key")).isEqualTo(KEY);
    assertThat(body.path("requests")).hasSize(2);
    assertThat(body.path("requests").get(1).path("model").asString()).isEqualTo("models/text-embedding-004");
    assertThat(body.path("requests").get(1).path("content").path("parts").get(0).path("text").asString())
        .isEqualTo("bb");
    assertThat(body.path("requests").get(0).path("outputDimensionality").asInt()).isEqualTo(3);
    assertThat(list.path("object").asString()).isEqualTo("list");
    assertThat(list.path("data").get(1).path("index").asInt()).isEqualTo(1);
    assertThat(list.path("data").get(1).path("embedding").get(2).asDouble()).isCloseTo(0.6, within());
    assertThat(list.path("usage").path("prompt_tokens").asLong()).isZero();
    List<float[]> vectors = adapter.embeddingVectors(JSON.readTree("{\"embeddings\":[{\"values\":[1,2]}]}"));
    assertThat(vectors).hasSize(1);
    assertThat(vectors.get(0)).containsExactly(1f, 2f);
  }

  @Test
  void refusesTokenArraysForEmbeddings() {
    assertThatThrownBy(() -> adapter.embeddings(provider("https://generativelanguage.googleapis.com", Map.of()),
        "text-embedding-004", (ObjectNode) JSON.readTree("{\"input\":[[1,2,3]]}")))
        .isInstanceOf(GatewayException.class)
        .hasMessageContaining("text only");
  }

  @Test
  void endsTheStreamWithGeminisMessageOnAnErrorEvent() {
    ChatStreamDecoder decoder = adapter.newStreamDecoder("m");
    List<ObjectNode> chunks = new ArrayList<>();

    assertThatThrownBy(() -> feed(decoder, "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]}}]}"
        + "\r\n\r\ndata: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}"
        + "\r\n\r\n", chunks))
        .isInstanceOf(ProviderStreamError.class)
        .hasMessage("UNAVAILABLE: The model is overloaded.");
    assertThat(chunks).hasSize(2);
  }

  @Test
  void treatsAStreamWithoutAFinishReasonAsCutOff() {
    ChatStreamDecoder decoder = adapter.newStreamDecoder("m");
    feed(decoder, "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]}}]}\r\n\r\n",
        new ArrayList<>());

    assertThatThrownBy(() -> decoder.finish(c -> { }))
        .isInstanceOf(SseDecoder.SseException.class)
        .hasMessageContaining("finish reason");
  }

  @Test
  void streamsABlockedPromptAsAContentFilterFinish() {
    ChatStreamDecoder decoder = adapter.newStreamDecoder("m");
    List<ObjectNode> chunks = new ArrayList<>();
    feed(decoder, "data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"},\"usageMetadata\":"
        + "{\"promptTokenCount\":4}}\n\n", chunks);
    decoder.finish(chunks::add);

    assertThat(chunks).hasSize(3);
    assertThat(chunks.get(1).path("choices").get(0).path("finish_reason").asString()).isEqualTo("content_filter");
    assertThat(chunks.get(2).path("usage").path("prompt_tokens").asLong()).isEqualTo(4);
  }

  private static void feed(ChatStreamDecoder decoder, String text, List<ObjectNode> out) {
    ByteBuf buf = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    try {
      decoder.decode(buf, out::add);
    } finally {
      buf.release();
    }
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-6);
  }
}
