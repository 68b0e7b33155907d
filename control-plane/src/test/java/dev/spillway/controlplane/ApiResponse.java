package dev.spillway.controlplane;

import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** One HTTP answer of the control plane, as the client saw it on the wire. */
public record ApiResponse(String method, String path, int status, HttpHeaders headers, byte[] body) {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  public String text() {
    return new String(body, StandardCharsets.UTF_8);
  }

  public JsonNode json() {
    return JSON.readTree(body);
  }

  /** The first value of a header, or null. */
  public String header(String name) {
    return headers.firstValue(name).orElse(null);
  }

  /** For assertion messages: what was asked and what came back. */
  public String describe() {
    String shown = header("Content-Type") != null && header("Content-Type").contains("gzip") ? "<gzip>" : text();
    return method + " " + path + " -> " + status + " " + shown;
  }

  @Override
  public String toString() {
    return describe();
  }
}
