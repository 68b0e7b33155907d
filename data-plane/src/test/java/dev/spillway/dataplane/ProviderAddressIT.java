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
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A node checks the address each upstream connection resolves to, whatever the snapshot says: with the production
 * default of {@code SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS} a provider on loopback is refused (also by a name that
 * resolves there, as a rebinding DNS answer would), and a link-local (metadata) address is refused even when private
 * ones are allowed — at once, with an upstream error that says why, and without a byte sent.
 */
@ExtendWith(NoLeaksExtension.class)
class ProviderAddressIT {
  private static final String KEY = "sk-sw-addr0000000000000000000000000000000000";
  /** Longer than the answer may take: the node's connect timeout (5 s) would show as a timeout here. */
  private static final Duration ANSWER_WITHIN = Duration.ofSeconds(3);

  static FakeProvider provider;
  static FakeControlPlane controlPlane;
  static SpillwayNode strict;
  static SpillwayNode permissive;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    provider = FakeProvider.start();
    controlPlane = FakeControlPlane.start();
    String localhostUrl = provider.baseUrl().replace("127.0.0.1", "localhost");
    controlPlane.publish(Snapshots.builder()
        .team("t1")
        .key("t1", KEY)
        .provider("loopback", ProviderType.OPENAI_COMPATIBLE, provider.baseUrl(), "sk-a")
        .provider("by-name", ProviderType.OPENAI_COMPATIBLE, localhostUrl, "sk-b")
        .provider("metadata", ProviderType.OPENAI_COMPATIBLE, "http://169.254.169.254:80/v1", "sk-c")
        .route("loopback", "loopback/m")
        .route("by-name", "by-name/m")
        .route("metadata", "metadata/m")
        .build());
    strict = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("addr-strict"),
        Map.of("SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS", "false"));
    permissive = TestNodes.start(controlPlane.uri(), Files.createTempDirectory("addr-permissive"),
        Map.of("SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS", "true"));
    TestNodes.awaitVersion(strict, 1);
    TestNodes.awaitVersion(permissive, 1);
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    strict.close();
    permissive.close();
    controlPlane.close();
    provider.close();
  }

  @BeforeEach
  void reset() {
    strict.routingHealth().clear();
    permissive.routingHealth().clear();
    provider.reset();
  }

  @Test
  void refusesALoopbackProviderByDefault() throws Exception {
    HttpResponse<String> response = chat(strict, "loopback");

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(response.body()).contains("upstream_error", "provider address refused", "127.0.0.1",
        "SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS");
    assertThat(provider.requests()).isEmpty();
  }

  @Test
  void judgesTheAddressANameResolvesToNotTheName() throws Exception {
    HttpResponse<String> response = chat(strict, "by-name");

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(response.body()).contains("provider address refused", "localhost", "127.0.0.1");
    assertThat(provider.requests()).isEmpty();
  }

  @Test
  void refusesALinkLocalAddressEvenWhenPrivateOnesAreAllowed() throws Exception {
    HttpResponse<String> response = chat(permissive, "metadata");

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(response.body()).contains("provider address refused", "169.254.169.254", "never allowed");
  }

  @Test
  void connectsToALoopbackProviderWhenAllowed() throws Exception {
    provider.enqueue(FakeResponse.chat());

    HttpResponse<String> response = chat(permissive, "loopback");

    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(provider.requests()).hasSize(1);
  }

  private static HttpResponse<String> chat(SpillwayNode node, String model) throws Exception {
    return http.send(HttpRequest.newBuilder(TestNodes.uri(node, "/v1/chat/completions"))
        .timeout(ANSWER_WITHIN)
        .header("authorization", "Bearer " + KEY)
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + model
            + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
