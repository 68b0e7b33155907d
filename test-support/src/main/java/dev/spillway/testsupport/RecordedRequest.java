package dev.spillway.testsupport;

import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A request as a fake provider received it; header names are lower-case. */
public record RecordedRequest(String method, String uri, Map<String, String> headers, String body) {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  public String header(String name) {
    return headers.get(name.toLowerCase(java.util.Locale.ROOT));
  }

  public JsonNode json() {
    return JSON.readTree(body);
  }
}
