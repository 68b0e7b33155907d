package dev.spillway.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import tools.jackson.databind.JsonNode;

/** Checks shared by every admin API test. */
public final class ApiAssertions {
  private ApiAssertions() {}

  /** Asserts the status and returns the body if it is JSON (else null). */
  public static JsonNode assertStatus(ApiResponse response, int status) {
    assertThat(response.status()).as(response::describe).isEqualTo(status);
    String contentType = response.header("Content-Type");
    boolean json = contentType != null && contentType.startsWith("application/json");
    return json && response.body().length > 0 ? response.json() : null;
  }

  /**
   * Asserts the contract's error shape, exactly {@code {"error":{"message":…,"field":…}}}, with this status and
   * field ({@code null} for errors that concern no single field). Returns the {@code error} object.
   */
  public static JsonNode assertApiError(ApiResponse response, int status, String field) {
    assertThat(response.status()).as(response::describe).isEqualTo(status);
    assertThat(response.header("Content-Type")).as(response::describe).startsWith("application/json");
    JsonNode body = response.json();
    assertThat(body.propertyNames()).as(response::describe).containsExactly("error");
    JsonNode error = body.get("error");
    assertThat(error.propertyNames()).as(response::describe).containsExactlyInAnyOrder("message", "field");
    assertThat(error.get("message").isString()).as(response::describe).isTrue();
    assertThat(error.get("message").stringValue()).as(response::describe).isNotBlank();
    if (field == null) {
      assertThat(error.get("field").isNull()).as(response::describe).isTrue();
    } else {
      assertThat(error.get("field").isString()).as(response::describe).isTrue();
      assertThat(error.get("field").stringValue()).as(response::describe).isEqualTo(field);
    }
    return error;
  }

  /** The error message of a response already checked with {@link #assertApiError}. */
  public static String message(JsonNode error) {
    return error.get("message").stringValue();
  }
}
