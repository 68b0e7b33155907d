package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.auth.Authenticator;
import dev.spillway.testsupport.FakeControlPlane;
import dev.spillway.testsupport.FakeProvider;
import dev.spillway.testsupport.NoLeaksExtension;
import dev.spillway.testsupport.Snapshots;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A control-plane replay: the node token with {@code x-spillway-replay-key-id} is authenticated as that virtual key
 * (its model list applies); the node token alone, a key with the header, another token with the header, an unknown
 * or expired key are all refused as invalid keys before any provider is called.
 */
@ExtendWith(NoLeaksExtension.class)
class ReplayAuthenticationIT {
  static final String KEY = "sk-sw-replay00000000000000000000000000000000";
  static final String LIMITED_KEY = "sk-sw-replaylimited0000000000000000000000000";
  static final String EXPIRED_KEY = "sk-sw-replayexpired0000000000000000000000000";
  static final JsonMapper JSON = JsonMapper.builder().build();

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
        .key("t1", KEY)                                         // key-0
        .key("t1", LIMITED_KEY, "chat")                         // key-1
        .key("t1", EXPIRED_KEY, Instant.now().minusSeconds(60)) // key-2
        .provider("fake", ProviderType.OPENAI_COMPATIBLE, provider.baseUrl(), "sk-upstream-replay-000000")
        .route("chat", "fake/gpt-up")
        .route("other", "fake/gpt-other")
        .build());
    node = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("replay-it"), Map.of());
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
    provider.reset();
  }

  @Test
  void theNodeTokenWithAReplayKeyIdIsAuthenticatedAsThatKey() throws Exception {
    HttpResponse<String> response = chat("chat", "again", "Bearer " + Snapshots.NODE_TOKEN,
        Authenticator.REPLAY_KEY_HEADER, "key-0", Authenticator.REPLAY_OF_HEADER, "original-1");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(response.body()).path("choices").get(0).path("message").path("content").asString())
        .isEqualTo("Echo: again");
    assertThat(provider.requestCount()).isEqualTo(1);
    // The control plane's credential goes no further than the node.
    assertThat(provider.lastRequest().headers().values()).noneMatch(v -> v.contains(Snapshots.NODE_TOKEN));
  }

  @Test
  void aReplayIsHeldToTheKeysAllowedModels() throws Exception {
    HttpResponse<String> allowed = chat("chat", "ok", "Bearer " + Snapshots.NODE_TOKEN,
        Authenticator.REPLAY_KEY_HEADER, "key-1");
    HttpResponse<String> refused = chat("other", "no", "Bearer " + Snapshots.NODE_TOKEN,
        Authenticator.REPLAY_KEY_HEADER, "key-1");

    assertThat(allowed.statusCode()).isEqualTo(200);
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(error(refused).path("code").asString()).isEqualTo("model_not_allowed");
  }

  @Test
  void theNodeTokenWithoutAReplayKeyIdIsNoKey() throws Exception {
    assertInvalidKey(chat("chat", "x", "Bearer " + Snapshots.NODE_TOKEN));
  }

  @Test
  void aVirtualKeyCannotActAsAnotherKeyWithTheReplayHeader() throws Exception {
    assertInvalidKey(chat("chat", "x", "Bearer " + LIMITED_KEY, Authenticator.REPLAY_KEY_HEADER, "key-0"));
  }

  @Test
  void anotherTokenWithTheReplayHeaderIsRefused() throws Exception {
    assertInvalidKey(chat("chat", "x", "Bearer " + Snapshots.NODE_TOKEN + "x", Authenticator.REPLAY_KEY_HEADER,
        "key-0"));
    assertInvalidKey(chat("chat", "x", "Bearer not-the-node-token-at-all", Authenticator.REPLAY_KEY_HEADER,
        "key-0"));
  }

  @Test
  void aReplayAsAnUnknownOrExpiredKeyIsRefused() throws Exception {
    assertInvalidKey(chat("chat", "x", "Bearer " + Snapshots.NODE_TOKEN, Authenticator.REPLAY_KEY_HEADER,
        "key-99"));
    assertInvalidKey(chat("chat", "x", "Bearer " + Snapshots.NODE_TOKEN, Authenticator.REPLAY_KEY_HEADER,
        "key-2"));
  }

  private static void assertInvalidKey(HttpResponse<String> response) {
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(error(response).path("code").asString()).isEqualTo("invalid_api_key");
    assertThat(response.body()).doesNotContain(Snapshots.NODE_TOKEN);
    assertThat(provider.requestCount()).isZero();
  }

  private static JsonNode error(HttpResponse<String> response) {
    return JSON.readTree(response.body()).path("error");
  }

  private static HttpResponse<String> chat(String model, String text, String authorization, String... headers)
      throws Exception {
    HttpRequest.Builder builder = HttpRequest.newBuilder(TestNodes.uri(node, "/v1/chat/completions"))
        .header("content-type", "application/json")
        .header("Authorization", authorization)
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model
            + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}"));
    for (int i = 0; i < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
    }
    return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
  }
}
