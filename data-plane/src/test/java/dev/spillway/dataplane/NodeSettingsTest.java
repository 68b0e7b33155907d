package dev.spillway.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.testsupport.Snapshots;
import dev.spillway.testsupport.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeSettingsTest {
  @TempDir
  Path dir;

  @Test
  void readsTheUpstreamCaFileFromTheEnvironment() {
    Path ca = TestCertificates.caFile();

    NodeSettings settings = settings(Map.of("SPILLWAY_UPSTREAM_CA_FILE", ca.toString()));

    assertThat(settings.upstreamCaFile()).isEqualTo(ca);
    assertThat(settings.toString()).contains("upstreamCaFile=" + ca).doesNotContain(Snapshots.NODE_TOKEN);
  }

  @Test
  void treatsAnEmptyCaFileVariableAsUnset() {
    assertThat(settings(Map.of("SPILLWAY_UPSTREAM_CA_FILE", " ")).upstreamCaFile()).isNull();
    assertThat(settings(Map.of()).upstreamCaFile()).isNull();
  }

  @Test
  void refusesToStartWithACaFileThatDoesNotExist() {
    Path missing = dir.resolve("missing.pem");

    assertThatThrownBy(() -> settings(Map.of("SPILLWAY_UPSTREAM_CA_FILE", missing.toString())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SPILLWAY_UPSTREAM_CA_FILE: CA file " + missing + " does not exist");
  }

  @Test
  void refusesToStartWithAnEmptyCaFile() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty.pem"), "\n");

    assertThatThrownBy(() -> settings(Map.of("SPILLWAY_UPSTREAM_CA_FILE", empty.toString())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("SPILLWAY_UPSTREAM_CA_FILE: CA file " + empty + " is empty");
  }

  @Test
  void refusesToStartWithACaFileWithoutCertificates() throws Exception {
    Path key = Files.writeString(dir.resolve("key.pem"),
        "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n");

    assertThatThrownBy(() -> settings(Map.of("SPILLWAY_UPSTREAM_CA_FILE", key.toString())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("SPILLWAY_UPSTREAM_CA_FILE: CA file " + key + " holds no certificate");
  }

  @Test
  void refusesToStartWithACorruptCertificate() throws Exception {
    Path corrupt = Files.writeString(dir.resolve("corrupt.pem"),
        "-----BEGIN CERTIFICATE-----\nTm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");

    assertThatThrownBy(() -> settings(Map.of("SPILLWAY_UPSTREAM_CA_FILE", corrupt.toString())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("SPILLWAY_UPSTREAM_CA_FILE: CA file " + corrupt + ": certificate 1 cannot be read");
  }

  @Test
  void refusesToStartWithADirectoryAsCaFile() {
    assertThatThrownBy(() -> settings(Map.of("SPILLWAY_UPSTREAM_CA_FILE", dir.toString())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("SPILLWAY_UPSTREAM_CA_FILE: cannot read the CA file " + dir);
  }

  @Test
  void boundsHeaderTimeAndConnectionsByDefault() {
    NodeSettings settings = settings(Map.of());

    assertThat(settings.headerTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(settings.maxConnections()).isEqualTo(10_000);
  }

  @Test
  void readsTheHeaderTimeoutAndConnectionLimitFromTheEnvironment() {
    NodeSettings settings = settings(Map.of("SPILLWAY_DP_HEADER_TIMEOUT_SECONDS", "5",
        "SPILLWAY_DP_MAX_CONNECTIONS", "250"));

    assertThat(settings.headerTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(settings.maxConnections()).isEqualTo(250);
  }

  @Test
  void refusesToStartWithoutAHeaderDeadlineOrConnections() {
    assertThatThrownBy(() -> settings(Map.of("SPILLWAY_DP_HEADER_TIMEOUT_SECONDS", "0")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SPILLWAY_DP_HEADER_TIMEOUT_SECONDS: PT0S (expected: > 0)");
    assertThatThrownBy(() -> settings(Map.of("SPILLWAY_DP_MAX_CONNECTIONS", "0")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SPILLWAY_DP_MAX_CONNECTIONS: 0 (expected: >= 1)");
  }

  @Test
  void refusesPrivateProviderAddressesUnlessAllowed() {
    assertThat(settings(Map.of()).providerAddresses().allowPrivate()).isFalse();
    assertThat(settings(Map.of("SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS", "true")).providerAddresses().allowPrivate())
        .isTrue();
    assertThatThrownBy(() -> settings(Map.of("SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS", "1")))
        .hasMessageContaining("SPILLWAY_ALLOW_PRIVATE_PROVIDER_URLS");
  }

  @Test
  void capsLoggedBodiesAt64KibUnlessTold() {
    assertThat(settings(Map.of()).requestLogBodyMaxBytes()).isEqualTo(64 * 1024);
    assertThat(settings(Map.of("SPILLWAY_DP_LOG_BODY_MAX_KB", "256")).requestLogBodyMaxBytes()).isEqualTo(256 * 1024);
    assertThatThrownBy(() -> settings(Map.of("SPILLWAY_DP_LOG_BODY_MAX_KB", "0")))
        .hasMessage("SPILLWAY_DP_LOG_BODY_MAX_KB: 0 (expected: 1-1024)");
    assertThatThrownBy(() -> settings(Map.of("SPILLWAY_DP_LOG_BODY_MAX_KB", "2048")))
        .hasMessageContaining("SPILLWAY_DP_LOG_BODY_MAX_KB");
  }

  private NodeSettings settings(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(extra);
    env.put("SPILLWAY_NODE_TOKEN", Snapshots.NODE_TOKEN);
    return NodeSettings.from(env, new String[] {"--port", "0", "--state-dir", dir.resolve("state").toString()});
  }

  @Test
  void servesMetricsOnLoopbackAThousandPortsAboveThePublicPortByDefault() {
    Map<String, String> env = new HashMap<>(Map.of("SPILLWAY_NODE_TOKEN", Snapshots.NODE_TOKEN));

    NodeSettings defaults = NodeSettings.from(env, new String[] {"--state-dir", dir.toString()});
    NodeSettings second = NodeSettings.from(env, new String[] {"--port", "8001", "--state-dir", dir.toString()});

    assertThat(defaults.port()).isEqualTo(8000);
    assertThat(defaults.metrics().adminPort()).isEqualTo(9000);
    assertThat(defaults.metrics().adminHost()).isEqualTo("127.0.0.1");
    assertThat(second.metrics().adminPort()).isEqualTo(9001);
    assertThat(settings(Map.of()).metrics().adminPort()).as("an ephemeral public port, an ephemeral admin port")
        .isZero();
    assertThat(defaults.metrics().maxTeams()).isEqualTo(100);
    assertThat(defaults.metrics().maxRoutes()).isEqualTo(100);
  }

  @Test
  void takesTheAdminListenerAndTheCounterBoundsFromTheEnvironment() {
    NodeSettings settings = settings(Map.of("SPILLWAY_DP_ADMIN_PORT", "9100", "SPILLWAY_DP_ADMIN_HOST", "0.0.0.0",
        "SPILLWAY_DP_METRICS_MAX_TEAMS", "7", "SPILLWAY_DP_METRICS_MAX_ROUTES", "3"));

    assertThat(settings.metrics()).isEqualTo(new dev.spillway.dataplane.metrics.MetricsSettings("0.0.0.0", 9100, 7,
        3));
    assertThatThrownBy(() -> settings(Map.of("SPILLWAY_DP_ADMIN_PORT", "70000")))
        .hasMessage("SPILLWAY_DP_ADMIN_PORT: 70000 (expected: 0-65535)");
    assertThatThrownBy(() -> settings(Map.of("SPILLWAY_DP_METRICS_MAX_TEAMS", "0")))
        .hasMessage("SPILLWAY_DP_METRICS_MAX_TEAMS: 0 (expected: >= 1)");
  }

  @Test
  void warmsUpByDefaultAndNotWhenTurnedOff() {
    assertThat(settings(Map.of()).warmup()).isEqualTo(Duration.ofSeconds(NodeSettings.DEFAULT_WARMUP_SECONDS));
    assertThat(settings(Map.of("SPILLWAY_DP_WARMUP_SECONDS", "0")).warmup()).isZero();
    assertThatThrownBy(() -> settings(Map.of("SPILLWAY_DP_WARMUP_SECONDS", "-1")))
        .hasMessageContaining("SPILLWAY_DP_WARMUP_SECONDS");
  }
}
