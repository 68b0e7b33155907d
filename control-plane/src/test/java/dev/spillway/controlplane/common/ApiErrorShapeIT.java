package dev.spillway.controlplane.common;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.nio.charset.StandardCharsets;
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

  @Test
  void anEncodedSlashInAPathIsABadRequestInTheApiShape() {
    assertApiError(admin().get("/api/v1/teams/a%2Fb"), 400, null);
    assertApiError(admin().get("/api/v1/teams/a%2fb", "Accept", "text/html"), 400, null);
    assertApiError(anonymous().get("/api/v1/no%2Fsuch"), 400, null);
  }

  @Test
  void theErrorPageItselfAnswersInTheApiShape() {
    assertApiError(admin().get("/error"), 404, null);
    assertApiError(anonymous().get("/error"), 404, null);
  }

  @Test
  void errorsAreJsonWhateverTheClientAccepts() {
    assertApiError(admin().get("/api/v1/no-such-endpoint", "Accept", "text/html"), 404, null);
    assertApiError(admin().get("/api/v1/teams", "Accept", "application/xml"), 406, null);
    assertApiError(admin().send("PUT", "/api/v1/teams", "application/json", "{}", "Accept", "text/html"), 405,
        null);
  }

  @Test
  void dashboardPathsKeepHtmlErrorPages() {
    var response = anonymous().get("/teams/a%2Fb", "Accept", "text/html");

    assertThat(response.status()).isEqualTo(400);
    assertThat(response.header("Content-Type")).startsWith("text/html");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0001-01-01T00:00:00Z", "+200000-01-01T00:00:00Z", "1969-12-31T23:59:59Z"})
  void anOutOfRangeDateIsABadRequestNamingTheField(String date) {
    assertApiError(admin().get("/api/v1/usage?from=" + date), 400, "from");
    assertApiError(admin().get("/api/v1/usage?to=" + date), 400, "to");
    assertApiError(admin().get("/api/v1/audit-events?from=" + date), 400, "from");
  }

  @Test
  void aBodyOverTheLimitIsRefusedWith413InTheApiShape() {
    byte[] huge = ("{\"name\": \"" + "x".repeat(50 * 1024 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);

    var error = assertApiError(admin().sendBytes("POST", "/api/v1/teams", "application/json", huge), 413, null);

    assertThat(error.get("message").stringValue()).contains("larger than");
  }

  @Test
  void aChunkedBodyOverTheLimitIsRefusedWith413InTheApiShape() {
    byte[] huge = ("{\"name\": \"" + "x".repeat(5 * 1024 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);

    assertApiError(admin().sendStream("POST", "/api/v1/teams", "application/json", huge), 413, null);
  }
}
