package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderType;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.FakeResponse;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A provider (or a proxy in front of it) that echoes the credentials it received must not hand Spillway's provider
 * key to the holder of a virtual key: every provider text that reaches a client — error answers, in-band stream
 * errors, native and translated, OpenAI and Anthropic shapes — is scrubbed of what the node sent.
 */
@ExtendWith(NoLeaksExtension.class)
class CredentialEchoIT {
  private static final String KEY = "sk-sw-echo0000000000000000000000000000000000";
  private static final String SECRET = "sk-provider-echoed-Zq81x0wLm3N5v7b9";
  private static final String SHORT_SECRET = "p4ss-w0rd-9917";

  static FakeProvider provider;
  static FakeControlPlane controlPlane;
  static SpillwayNode node;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    provider = FakeProvider.start();
    controlPlane = FakeControlPlane.start();
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("echo", ProviderType.OPENAI_COMPATIBLE, provider.baseUrl(), SECRET)
        .provider("plain", ProviderType.OPENAI_COMPATIBLE, provider.baseUrl(), SHORT_SECRET)
        .route("chat", "echo/m")
        .route("plain", "plain/m")
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("echo-it"), Map.of());
    TestNodes.awaitVersion(node, 1);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
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
  void scrubsTheKeyFromAnErrorAnswerInOpenAisShape() throws Exception {
    provider.enqueue(FakeResponse.error(401, "Incorrect API key provided: Authorization: Bearer " + SECRET));

    HttpResponse<String> response = post("/v1/chat/completions", chat("chat", false));

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(response.body()).doesNotContain(SECRET).doesNotContain(SECRET.substring(10)).contains("[redacted]");
  }

  @Test
  void scrubsAKeyOfNoKnownShapeFromAnErrorAnswerInAnthropicsShape() throws Exception {
    provider.enqueue(FakeResponse.error(400, "bad request from client with key " + SHORT_SECRET + " (echoed)"));

    HttpResponse<String> response = post("/v1/messages", messages("plain", false));

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("\"type\":\"error\"").doesNotContain(SHORT_SECRET).contains("[redacted]");
  }

  @Test
  void scrubsTheKeyFromAnInBandErrorThatOpensANativeStream() throws Exception {
    provider.enqueue(FakeResponse.raw(200, "text/event-stream", "data: {\"error\":{\"message\":\"upstream proxy "
        + "refused x-api-key " + SECRET + "\",\"type\":\"invalid_request_error\"}}\n\n"));

    HttpResponse<String> response = post("/v1/chat/completions", chat("chat", true));

    // Nothing reached the client before the error, so it is an error answer (no other target could take over).
    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(response.body()).contains("\"error\"", "upstream proxy refused").doesNotContain(SECRET);
  }

  @Test
  void scrubsTheKeyFromAnInBandErrorInTheMiddleOfANativeStream() throws Exception {
    provider.enqueue(FakeResponse.raw(200, "text/event-stream", "data: {\"choices\":[{\"index\":0,\"delta\":"
        + "{\"content\":\"partial\"}}]}\n\ndata: {\"error\":{\"message\":\"upstream proxy refused x-api-key "
        + SECRET + "\",\"type\":\"invalid_request_error\"}}\n\n"));

    HttpResponse<String> response = post("/v1/chat/completions", chat("chat", true));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("partial", "\"error\"").doesNotContain(SECRET);
  }

  @Test
  void scrubsTheKeyFromAnInBandErrorOfATranslatedStream() throws Exception {
    provider.enqueue(FakeResponse.raw(200, "text/event-stream", "data: {\"error\":{\"message\":\"echo: Bearer "
        + SECRET + "\"}}\n\n"));

    HttpResponse<String> response = post("/v1/messages", messages("chat", true));

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(response.body()).contains("\"type\":\"error\"", "echo: ").doesNotContain(SECRET);
  }

  private static String chat(String model, boolean stream) {
    return "{\"model\":\"" + model + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  private static String messages(String model, boolean stream) {
    return "{\"model\":\"" + model + "\",\"max_tokens\":16,\"stream\":" + stream
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(TestNodes.uri(node, path))
        .header("authorization", "Bearer " + KEY)
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
