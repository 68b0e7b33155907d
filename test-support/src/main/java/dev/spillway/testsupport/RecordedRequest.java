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

  /**
   * The provider credential the request carried: {@code x-api-key} (Anthropic), else {@code api-key} (Azure OpenAI),
   * else the token of {@code Authorization: Bearer …} (OpenAI and compatible providers); null without one.
   */
  public String apiKey() {
    String key = header("x-api-key");
    if (key != null) {
      return key;
    }
    key = header("api-key");
    if (key != null) {
      return key;
    }
    String authorization = header("authorization");
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return authorization.substring(7).trim();
    }
    return null;
  }

  public JsonNode json() {
    return JSON.readTree(body);
  }
}
