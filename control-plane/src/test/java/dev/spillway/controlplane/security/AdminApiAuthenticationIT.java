package dev.spillway.controlplane.security;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ApiClient;
import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Who may call what: the admin API wants the admin bearer token on every endpoint, reads and writes alike;
 * {@code /internal} wants the node token; neither token opens the other's door.
 */
class AdminApiAuthenticationIT extends ControlPlaneIntegrationTest {
  private static final String ID = UUID.randomUUID().toString();

  static Stream<Arguments> adminEndpoints() {
    return Stream.of(
        Arguments.of("GET", "/api/v1/teams"),
        Arguments.of("POST", "/api/v1/teams"),
        Arguments.of("GET", "/api/v1/teams/" + ID),
        Arguments.of("PATCH", "/api/v1/teams/" + ID),
        Arguments.of("DELETE", "/api/v1/teams/" + ID),
        Arguments.of("GET", "/api/v1/providers"),
        Arguments.of("POST", "/api/v1/providers"),
        Arguments.of("GET", "/api/v1/providers/" + ID),
        Arguments.of("PATCH", "/api/v1/providers/" + ID),
        Arguments.of("DELETE", "/api/v1/providers/" + ID),
        Arguments.of("GET", "/api/v1/routes"),
        Arguments.of("POST", "/api/v1/routes"),
        Arguments.of("GET", "/api/v1/routes/" + ID),
        Arguments.of("PATCH", "/api/v1/routes/" + ID),
        Arguments.of("DELETE", "/api/v1/routes/" + ID),
        Arguments.of("GET", "/api/v1/virtual-keys"),
        Arguments.of("POST", "/api/v1/virtual-keys"),
        Arguments.of("GET", "/api/v1/virtual-keys/" + ID),
        Arguments.of("PATCH", "/api/v1/virtual-keys/" + ID),
        Arguments.of("DELETE", "/api/v1/virtual-keys/" + ID),
        Arguments.of("POST", "/api/v1/virtual-keys/" + ID + "/rotate"),
        Arguments.of("GET", "/api/v1/nodes"),
        Arguments.of("GET", "/api/v1/snapshots/current"),
        Arguments.of("GET", "/api/v1/no-such-endpoint"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("adminEndpoints")
  void refusesAnAdminRequestWithoutAToken(String method, String path) {
    ApiResponse response = send(anonymous(), method, path);

    assertApiError(response, 401, null);
    assertThat(response.header("WWW-Authenticate")).isEqualTo("Bearer");
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("adminEndpoints")
  void refusesAnAdminRequestWithAWrongToken(String method, String path) {
    assertApiError(send(bearer(ADMIN_TOKEN + "x"), method, path), 401, null);
    assertApiError(send(bearer(""), method, path), 401, null);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("adminEndpoints")
  void refusesTheNodeTokenOnTheAdminApi(String method, String path) {
    assertApiError(send(node(), method, path), 401, null);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("adminEndpoints")
  void refusesTheAdminTokenInAnotherScheme(String method, String path) {
    assertApiError(send(withAuthorization("Basic " + ADMIN_TOKEN), method, path), 401, null);
    assertApiError(send(withAuthorization(ADMIN_TOKEN), method, path), 401, null);
  }

  @Test
  void acceptsTheAdminTokenWithAnyCaseOfTheScheme() {
    assertStatus(withAuthorization("bearer " + ADMIN_TOKEN).get("/api/v1/teams"), 200);
    assertStatus(withAuthorization("BEARER " + ADMIN_TOKEN).get("/api/v1/teams"), 200);
  }

  @Test
  void anUnauthenticatedWriteChangesNothing() {
    String name = unique("intruder");

    assertApiError(anonymous().post("/api/v1/teams", "{\"name\": \"%s\"}".formatted(name)), 401, null);
    assertApiError(node().post("/api/v1/teams", "{\"name\": \"%s\"}".formatted(name)), 401, null);

    assertThat(jdbc.sql("SELECT count(*) FROM teams WHERE name = ?").param(name).query(Long.class).single()).isZero();
  }

  @Test
  void refusesASnapshotPollWithoutTheNodeToken() {
    String path = "/internal/v1/snapshots?known_version=0";

    ApiResponse missing = anonymous().get(path);
    assertApiError(missing, 401, null);
    assertThat(missing.header("WWW-Authenticate")).isEqualTo("Bearer");
    assertApiError(bearer(NODE_TOKEN + "x").get(path), 401, null);
    assertApiError(withAuthorization("Basic " + NODE_TOKEN).get(path), 401, null);
    assertApiError(admin().get(path), 401, null);
    assertStatus(node().get(path), 200);
  }

  @Test
  void anUnauthenticatedPollIsNotRecordedAsANode() {
    String nodeId = unique("impostor");

    assertApiError(admin().get("/internal/v1/snapshots?known_version=0", "Spillway-Node-Id", nodeId), 401, null);

    assertThat(jdbc.sql("SELECT count(*) FROM data_plane_nodes WHERE node_id = ?").param(nodeId).query(Long.class)
        .single()).isZero();
  }

  @Test
  void theHealthEndpointsNeedNoToken() {
    assertThat(anonymous().get("/healthz").status()).isEqualTo(200);
    assertThat(anonymous().get("/readyz").status()).isEqualTo(200);
  }

  private static ApiResponse send(ApiClient client, String method, String path) {
    boolean hasBody = method.equals("POST") || method.equals("PATCH");
    return client.send(method, path, hasBody ? "application/json" : null, hasBody ? "{}" : null);
  }
}
