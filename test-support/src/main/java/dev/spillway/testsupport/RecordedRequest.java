package dev.spillway.testsupport;

import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A request as a fake provider received it; header names are lower-case.
 *
 * @param protocol the protocol it came over: {@code http/1.1} (clear text or TLS) or {@code h2}
 */
public record RecordedRequest(String method, String uri, Map<String, String> headers, String body, String protocol) {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** A request received over HTTP/1.1. */
  public RecordedRequest(String method, String uri, Map<String, String> headers, String body) {
    this(method, uri, headers, body, "http/1.1");
  }

  public String header(String name) {
    return headers.get(name.toLowerCase(java.util.Locale.ROOT));
  }

  public JsonNode json() {
    return JSON.readTree(body);
  }
}
