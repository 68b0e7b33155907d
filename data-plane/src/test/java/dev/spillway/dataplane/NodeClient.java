package dev.spillway.dataplane;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** A plain HTTP client for one test node: JSON posts with a virtual key, and SSE bodies split into events. */
final class NodeClient {
  static final JsonMapper JSON = JsonMapper.builder().build();

  /** One server-sent event of a response body; {@code event} is null when the stream did not name it. */
  record Event(String event, String data) {
    JsonNode json() {
      return JSON.readTree(data);
    }
  }

  private final SpillwayNode node;
  private final String key;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  NodeClient(SpillwayNode node, String key) {
    this.node = node;
    this.key = key;
  }

  HttpResponse<String> post(String path, String body, String... headers) throws Exception {
    HttpRequest.Builder builder = HttpRequest.newBuilder(TestNodes.uri(node, path))
        .header("content-type", "application/json")
        .header("Authorization", "Bearer " + key)
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      builder.header(headers[i], headers[i + 1]);
    }
    return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, JsonNode body) throws Exception {
    return post(path, JSON.writeValueAsString(body));
  }

  static ObjectNode json(String text) {
    return (ObjectNode) JSON.readTree(text);
  }

  static JsonNode body(HttpResponse<String> response) {
    return JSON.readTree(response.body());
  }

  static JsonNode error(HttpResponse<String> response) {
    return body(response).path("error");
  }

  /** The events of a complete SSE body, in order. */
  static List<Event> events(String body) {
    List<Event> events = new ArrayList<>();
    for (String block : body.split("\n\n")) {
      if (block.isBlank()) {
        continue;
      }
      String event = null;
      StringBuilder data = new StringBuilder();
      for (String line : block.split("\n")) {
        if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data.append(line.substring(6));
        }
      }
      events.add(new Event(event, data.toString()));
    }
    return events;
  }
}
