package dev.spillway.controlplane.common;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Failures that no controller code sees still answer {@code {"error":{"message":…,"field":…}}}. */
class ApiErrorShapeIT extends ControlPlaneIntegrationTest {

  @ParameterizedTest
  @ValueSource(strings = {"/api/v1/teams", "/api/v1/providers", "/api/v1/routes", "/api/v1/virtual-keys"})
  void malformedJsonIsABadRequestWithoutAField(String path) {
    var error = assertApiError(admin().post(path, "{\"name\": \"x\","), 400, null);

    assertThat(error.get("message").stringValue()).contains("JSON");
  }

  @Test
  void anEmptyBodyIsABadRequest() {
    assertApiError(admin().post("/api/v1/teams", ""), 400, null);
  }

  @Test
  void aPatchThatIsNotAnObjectIsABadRequest() {
    String id = createTeam(unique("array-patch")).get("id").stringValue();

    assertApiError(admin().patch("/api/v1/teams/" + id, "[1, 2]"), 400, "body");
    assertApiError(admin().patch("/api/v1/teams/" + id, "\"text\""), 400, "body");
  }

  @Test
  void aBodyThatIsNotJsonIsAnUnsupportedMediaType() {
    assertApiError(admin().send("POST", "/api/v1/teams", "text/plain", "name=x"), 415, null);
  }

  @Test
  void anUnknownEndpointIsNotFound() {
    assertApiError(admin().get("/api/v1/no-such-endpoint"), 404, null);
    assertApiError(admin().delete("/api/v1/teams"), 405, null);
    assertApiError(node().get("/internal/v1/no-such-endpoint"), 404, null);
  }

  @Test
  void anUnsupportedMethodIsNotAllowed() {
    var response = admin().send("PUT", "/api/v1/teams", "application/json", "{}");

    assertApiError(response, 405, null);
    assertThat(response.header("Allow")).contains("GET", "POST");
  }

  @Test
  void aQueryParameterOfTheWrongTypeNamesTheParameter() {
    assertApiError(admin().get("/api/v1/virtual-keys?limit=many"), 400, "limit");
  }
}
