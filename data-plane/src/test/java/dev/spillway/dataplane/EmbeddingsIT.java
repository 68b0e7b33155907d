package dev.spillway.dataplane;

import static dev.spillway.dataplane.NodeClient.body;
import static dev.spillway.dataplane.NodeClient.error;
import static dev.spillway.dataplane.NodeClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.spillway.config.ProviderType;
import dev.spillway.config.RetryConfig;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import dev.spillway.dataplane.metrics.MetricsText;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code POST /v1/embeddings}: the OpenAI family natively, the mock in process, encodings as the client asks. */
@ExtendWith(NoLeaksExtension.class)
class EmbeddingsIT {
  static final String KEY = "sk-sw-embeddings0000000000000000000000000000";

  static FakeProvider provider;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;
  static NodeClient client;

  @BeforeAll
  static void start() throws Exception {
    provider = FakeProvider.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("oai", ProviderType.OPENAI, provider.baseUrl(), "sk-openai-secret-000000")
        .provider("compat", ProviderType.OPENAI_COMPATIBLE, provider.baseUrl(), "sk-compat-secret-000000")
        .provider("dead", ProviderType.OPENAI_COMPATIBLE, "http://127.0.0.1:1/v1", "sk-dead-0000000000000")
        .provider("anth", ProviderType.ANTHROPIC, provider.baseUrl(), "sk-ant-secret-000000")
        .provider("mock", ProviderType.MOCK, null)
        .route("small", "oai/text-embedding-3-small")
        .route("local", "compat/nomic-embed")
        .route("demo", "mock/mock-embed")
        .route("claude", "anth/claude")
        .route("retrying", List.of("compat/r"), List.of(), new RetryConfig(3, 5))
        .route("failover", List.of("dead/x"), List.of("compat/y"), RetryConfig.NONE)
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("embeddings-it"), Map.of());
    TestNodes.awaitVersion(node, 1);
    client = new NodeClient(node, KEY);
  }

  @AfterAll
  static void stop() {
    node.close();
    controlPlane.close();
    provider.close();
  }

  @BeforeEach
  void reset() {
    node.routingHealth().clear(); // a fresh node's view: no case inherits another's cooldowns or breakers
    provider.reset();
  }

  @Test
  void passesBase64FromOpenAiThroughAsItCame() throws Exception {
    ObjectNode request = json("""
        {"model":"small","input":["first","second"],"encoding_format":"base64","dimensions":4,"user":"u"}""");

    HttpResponse<String> response = client.post("/v1/embeddings", request);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(provider.lastRequest().uri()).isEqualTo("/v1/embeddings");
    assertThat(provider.lastRequest().header("authorization")).isEqualTo("Bearer sk-openai-secret-000000");
    request.put("model", "text-embedding-3-small");
    assertThat(provider.lastRequest().json()).isEqualTo(request);
    JsonNode data = body(response).path("data");
    assertThat(decode(data.get(0).path("embedding").asString())).containsExactly(FakeProvider.embedding(0, 4));
    assertThat(decode(data.get(1).path("embedding").asString())).containsExactly(FakeProvider.embedding(1, 4));
    assertThat(body(response).path("usage").path("prompt_tokens").asInt()).isEqualTo(12);
    assertThat(response.headers().firstValue("x-spillway-provider")).contains("oai");
  }

  @Test
  void encodesFloatsAsLittleEndianFloat32Base64WhenTheProviderAnsweredFloats() throws Exception {
    HttpResponse<String> response = client.post("/v1/embeddings",
        "{\"model\":\"local\",\"input\":[\"a\",\"b\",\"c\"],\"encoding_format\":\"base64\",\"dimensions\":3}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(provider.lastRequest().json().has("encoding_format")).isFalse();
    assertThat(provider.lastRequest().json().path("dimensions").asInt()).isEqualTo(3);
    JsonNode data = body(response).path("data");
    assertThat(data).hasSize(3);
    for (int k = 0; k < 3; k++) {
      assertThat(data.get(k).path("index").asInt()).isEqualTo(k);
      assertThat(decode(data.get(k).path("embedding").asString())).containsExactly(FakeProvider.embedding(k, 3));
    }
  }

  @Test
  void answersFloatsByDefaultAndDecodesBase64WhenTheClientWantsFloats() throws Exception {
    provider.enqueue(FakeResponse.raw(200, "application/json", """
        {"object":"list","model":"m","usage":{"prompt_tokens":3,"total_tokens":3},
         "data":[{"object":"embedding","index":0,"embedding":"%s"}]}""".formatted(encode(0.5f, -1.25f))));

    HttpResponse<String> floats = client.post("/v1/embeddings", "{\"model\":\"small\",\"input\":\"hi\"}");
    HttpResponse<String> decoded = client.post("/v1/embeddings",
        "{\"model\":\"small\",\"input\":\"hi\",\"encoding_format\":\"float\"}");

    assertThat(body(floats).path("data").get(0).path("embedding").toString()).isEqualTo("[0.5,-1.25]");
    assertThat(body(decoded).path("data").get(0).path("embedding").isArray()).isTrue();
    assertThat(body(decoded).path("data").get(0).path("embedding")).hasSize(8);
    assertThat(body(decoded).path("data").get(0).path("embedding").get(1).asDouble()).isEqualTo(0.75);
  }

  @Test
  void answersDeterministicUnitVectorsFromTheMock() throws Exception {
    JsonNode first = body(client.post("/v1/embeddings", "{\"model\":\"demo\",\"input\":[\"cat\",\"dog\"],"
        + "\"dimensions\":16}"));
    JsonNode again = body(client.post("/v1/embeddings", "{\"model\":\"demo\",\"input\":\"cat\",\"dimensions\":16}"));
    JsonNode base64 = body(client.post("/v1/embeddings",
        "{\"model\":\"demo\",\"input\":\"cat\",\"encoding_format\":\"base64\"}"));

    JsonNode cat = first.path("data").get(0).path("embedding");
    assertThat(cat).hasSize(16);
    double norm = 0;
    for (JsonNode v : cat) {
      norm += v.asDouble() * v.asDouble();
    }
    assertThat(norm).isCloseTo(1.0, within(1e-5));
    assertThat(again.path("data").get(0).path("embedding")).isEqualTo(cat);
    assertThat(first.path("data").get(1).path("embedding")).isNotEqualTo(cat);
    assertThat(decode(base64.path("data").get(0).path("embedding").asString())).hasSize(384);
    assertThat(first.path("usage").path("prompt_tokens").asInt()).isPositive();
  }

  @Test
  void passesTokenArraysToProvidersThatSpeakTheOpenAiEmbeddingsApi() throws Exception {
    HttpResponse<String> response = client.post("/v1/embeddings", "{\"model\":\"local\",\"input\":[[1,2],[3]]}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(provider.lastRequest().json().path("input").toString()).isEqualTo("[[1,2],[3]]");
    assertThat(body(response).path("data")).hasSize(2);
  }

  @Test
  void recordsThePromptTokensOfEachAnswer() throws Exception {
    double before = inputTokens();

    client.post("/v1/embeddings", "{\"model\":\"small\",\"input\":[\"a\",\"b\"]}");

    assertThat(inputTokens() - before).isEqualTo(12.0);
  }

  private static double inputTokens() throws Exception {
    HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        TestNodes.adminUri(node, "/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.statusCode()).isEqualTo(200);
    return MetricsText.value(metrics.body(), "spillway_tokens_total", "provider", "oai", "direction", "input");
  }

  @Test
  void refusesProvidersWithoutAnEmbeddingsApi() throws Exception {
    HttpResponse<String> response = client.post("/v1/embeddings", "{\"model\":\"claude\",\"input\":\"hi\"}");

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(error(response).path("message").asString()).contains("Anthropic has no embeddings API");
    assertThat(provider.requestCount()).isZero();
  }

  @Test
  void retriesAndFallsBackLikeChat() throws Exception {
    provider.enqueue(FakeResponse.error(503, "busy"), FakeResponse.chat());

    HttpResponse<String> retried = client.post("/v1/embeddings", "{\"model\":\"retrying\",\"input\":\"hi\"}");
    HttpResponse<String> fellBack = client.post("/v1/embeddings", "{\"model\":\"failover\",\"input\":\"hi\"}");

    assertThat(retried.statusCode()).isEqualTo(200);
    assertThat(retried.headers().firstValue("x-spillway-attempts")).contains("2");
    assertThat(fellBack.statusCode()).isEqualTo(200);
    assertThat(fellBack.headers().firstValue("x-spillway-provider")).contains("compat");
    assertThat(provider.lastRequest().json().path("model").asString()).isEqualTo("y");
  }

  @Test
  void keepsTheProvidersMessageWhenItRefusesTheRequest() throws Exception {
    provider.enqueue(FakeResponse.error(400, "dimensions too large for this model"));
    provider.respondWith(FakeResponse.error(500, "down"));

    HttpResponse<String> refused = client.post("/v1/embeddings", "{\"model\":\"small\",\"input\":\"hi\"}");
    HttpResponse<String> down = client.post("/v1/embeddings", "{\"model\":\"small\",\"input\":\"hi\"}");

    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(error(refused).path("message").asString()).contains("oai answered 400",
        "dimensions too large for this model");
    assertThat(down.statusCode()).isEqualTo(502);
    assertThat(error(down).path("code").asString()).isEqualTo("upstream_error");
    assertThat(down.body()).doesNotContain("sk-openai-secret");
  }

  @Test
  void answersMalformedRequestsWithA400NamingTheField() throws Exception {
    List<String> params = new ArrayList<>();
    for (String body : List.of("{\"model\":\"demo\"}", "{\"model\":\"demo\",\"input\":[]}",
        "{\"model\":\"demo\",\"input\":\"\"}", "{\"model\":\"demo\",\"input\":[\"a\",2]}",
        "{\"model\":\"demo\",\"input\":\"a\",\"encoding_format\":\"hex\"}",
        "{\"model\":\"demo\",\"input\":\"a\",\"dimensions\":0}", "{\"input\":\"a\"}")) {
      HttpResponse<String> response = client.post("/v1/embeddings", body);
      assertThat(response.statusCode()).as(body).isEqualTo(400);
      params.add(error(response).path("param").asString());
    }

    assertThat(params).containsExactly("input", "input", "input", "input", "encoding_format", "dimensions",
        "model");
    assertThat(provider.requestCount()).isZero();
  }

  private static float[] decode(String base64) {
    ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(base64)).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[bytes.remaining() / Float.BYTES];
    for (int i = 0; i < values.length; i++) {
      values[i] = bytes.getFloat();
    }
    return values;
  }

  private static String encode(float... values) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      bytes.putFloat(v);
    }
    return Base64.getEncoder().encodeToString(bytes.array());
  }
}
