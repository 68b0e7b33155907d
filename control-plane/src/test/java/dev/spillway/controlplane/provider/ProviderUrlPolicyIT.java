package dev.spillway.controlplane.provider;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static dev.spillway.controlplane.ApiAssertions.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiClient;
import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import dev.spillway.controlplane.DashboardSession;
import dev.spillway.testsupport.FakeProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Provider base URLs may not point at link-local or cloud-metadata addresses, nor (with the production default of
 * {@code SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS}) at loopback or private ones, whichever way the address is written;
 * "Test connection" checks again right before it connects, and answers every connection failure alike.
 */
class ProviderUrlPolicyIT extends ControlPlaneIntegrationTest {
  private static FakeProvider upstream;
  /** A control plane on the same database with the production default: private provider addresses refused. */
  private static ConfigurableApplicationContext strict;

  @BeforeAll
  static void start() {
    upstream = FakeProvider.start();
    strict = startReplica(Map.of("spillway.allow-private-provider-urls", "false"));
  }

  @AfterAll
  static void stop() {
    strict.close();
    upstream.close();
  }

  private ApiClient strictAdmin() {
    return new ApiClient(baseUrlOf(strict), "Bearer " + ADMIN_TOKEN);
  }

  private static String provider(String name, String baseUrl) {
    return """
        {"name": "%s", "type": "openai-compatible", "base_url": "%s", "keys": [{"name": "k", "value": "sk-x"}]}"""
        .formatted(name, baseUrl);
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://169.254.169.254/latest/meta-data", "http://0xa9fea9fe/v1", "http://2852039166/v1",
      "http://[fd00:ec2::254]/v1", "http://[fe80::1]:8080/v1",
      "http://[::ffff:169.254.169.254]/v1", "http://metadata.google.internal/computeMetadata/v1",
      "http://metadata/v1", "http://instance-data/latest", "https://100.100.100.200/v1"})
  void refusesMetadataAndLinkLocalAddressesEvenWhenPrivateOnesAreAllowed(String url) {
    long version = configVersion();

    var error = assertApiError(admin().post("/api/v1/providers", provider(unique("meta"), url)), 400, "base_url");

    assertThat(message(error)).contains("never allowed");
    assertThat(configVersion()).isEqualTo(version);
  }

  @Test
  void refusesAMetadataAddressOnUpdateInTheDashboardFormAndInAConfigFile() {
    String name = unique("meta-upd");
    String id = assertStatus(admin().post("/api/v1/providers", provider(name, upstream.baseUrl())), 201)
        .get("id").stringValue();

    assertApiError(admin().patch("/api/v1/providers/" + id, "{\"base_url\": \"http://169.254.169.254\"}"), 400,
        "base_url");

    DashboardSession dashboard = signInAs(ADMIN_EMAIL);
    ApiResponse form = dashboard.postPairs("/providers", List.of("name", unique("meta-form"), "type",
        "openai-compatible", "baseUrl", "http://metadata.google.internal/v1", "keyName", "k", "keyValue", "sk-x",
        "keyWeight", "1"));
    assertThat(form.status()).as(form.describe()).isEqualTo(422);
    assertThat(form.text()).contains("has-error").contains("cloud metadata service");

    var declared = assertApiError(admin().send("POST", "/api/v1/config/apply", "application/yaml", """
        providers:
          - {name: %s, type: openai-compatible, base_url: "http://[fd00:ec2::254]/v1"}
        """.formatted(unique("meta-yaml"))), 400, "providers[0].base_url");
    assertThat(message(declared)).contains("never allowed");
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://127.0.0.1:8080/v1", "http://0x7f000001:8080/v1", "http://2130706433/v1",
      "http://017700000001/v1", "http://0x7f.1/v1", "http://127.1/v1", "http://10.0.0.5/v1", "http://172.16.3.4/v1",
      "http://192.168.1.10/v1", "http://100.64.0.1/v1", "http://0.0.0.0:8080/v1", "http://[::1]:8080/v1",
      "http://[fd12:3456::1]/v1", "http://[::ffff:127.0.0.1]/v1", "http://localhost:8080/v1"})
  void refusesLoopbackAndPrivateAddressesByDefault(String url) {
    assertApiError(strictAdmin().post("/api/v1/providers", provider(unique("private"), url)), 400, "base_url");
  }

  @Test
  void acceptsPublicAddressesByDefaultAndPrivateOnesWhenAllowed() {
    assertStatus(strictAdmin().post("/api/v1/providers", provider(unique("public"), "https://8.8.8.8/v1")), 201);
    assertStatus(admin().post("/api/v1/providers", provider(unique("allowed"), "http://127.0.0.1:9/v1")), 201);
  }

  @Test
  void theConnectionTestChecksTheAddressAgainRightBeforeItConnects() {
    // Saved while private addresses were allowed; the strict replica must still not connect there.
    String id = assertStatus(admin().post("/api/v1/providers", provider(unique("stale"), upstream.baseUrl())), 201)
        .get("id").stringValue();
    int before = upstream.requests().size();
    DashboardSession dashboard = signInAs(ADMIN_EMAIL).onReplica(baseUrlOf(strict));

    ApiResponse test = dashboard.post("/providers/" + id + "/test", Map.of(), "HX-Request", "true");

    assertThat(test.status()).as(test.describe()).isEqualTo(200);
    assertThat(test.text()).contains("not tested").contains("127.0.0.1")
        .contains("SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS");
    assertThat(upstream.requests()).hasSize(before);
  }

  @Test
  void theConnectionTestAnswersAClosedPortAndAnOpenNonHttpPortAlike() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    try (ServerSocket open = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> closeEveryConnection(open), "closes-without-bytes");
      acceptor.setDaemon(true);
      acceptor.start();
      DashboardSession dashboard = signInAs(ADMIN_EMAIL);

      String closed = testResult(dashboard, "http://127.0.0.1:" + closedPort + "/v1");
      String silent = testResult(dashboard, "http://127.0.0.1:" + open.getLocalPort() + "/v1");

      assertThat(closed).isEqualTo(silent);
      assertThat(closed).contains("no HTTP answer from the provider").doesNotContainIgnoringCase("refused")
          .doesNotContainIgnoringCase("no bytes").doesNotContainIgnoringCase("header parser");
    }
  }

  /** The key lines of a connection test's answer (the target line names the port, so it is left out). */
  private String testResult(DashboardSession dashboard, String baseUrl) {
    String id = assertStatus(admin().post("/api/v1/providers", provider(unique("oracle"), baseUrl)), 201)
        .get("id").stringValue();
    ApiResponse test = dashboard.post("/providers/" + id + "/test", Map.of(), "HX-Request", "true");
    assertThat(test.status()).as(test.describe()).isEqualTo(200);
    String text = test.text();
    return text.substring(text.indexOf("<ul"), text.indexOf("</ul>"));
  }

  private static void closeEveryConnection(ServerSocket server) {
    while (!server.isClosed()) {
      try (Socket s = server.accept()) {
        s.getInputStream().read(new byte[1024]);
      } catch (IOException e) {
        if (!server.isClosed()) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }
}
