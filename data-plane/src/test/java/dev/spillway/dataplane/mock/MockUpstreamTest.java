package dev.spillway.dataplane.mock;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.json.Json;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The mock's deterministic tool calls and its answer to a tool result. */
class MockUpstreamTest {
  private static final String TOOLS = """
      "tools": [
        {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
          "properties": {"city": {"type": "string"}, "days": {"type": "integer"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}, "hourly": {"type": "boolean"},
            "where": {"type": "object", "properties": {"lat": {"type": "number"}}, "required": ["lat"]},
            "note": {"type": "string"}},
          "required": ["city", "days", "unit", "hourly", "where"]}}}
      ]""";

  private static JsonNode request(String fields) {
    return Json.mapper().readTree("{\"model\": \"m\", " + fields + "}");
  }

  @Test
  void callsTheFunctionTheRequestForces() {
    JsonNode required = request("\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], " + TOOLS
        + ", \"tool_choice\": \"required\"");
    JsonNode named = request("\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], " + TOOLS
        + ", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}");

    assertThat(MockUpstream.forcedFunction(required).path("name").asString()).isEqualTo("lookup");
    assertThat(MockUpstream.forcedFunction(named).path("name").asString()).isEqualTo("get_weather");
    assertThat(MockUpstream.placeholderArguments(MockUpstream.forcedFunction(named).path("parameters")))
        .isEqualTo(Json.mapper().readTree(
            "{\"city\":\"mock\",\"days\":0,\"unit\":\"celsius\",\"hourly\":false,\"where\":{\"lat\":0}}"));
  }

  @Test
  void answersWithTextWhenNoCallIsForcedOrTheLastMessageIsAToolResult() {
    String user = "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], ";
    JsonNode auto = request(user + TOOLS + ", \"tool_choice\": \"auto\"");
    JsonNode unforced = request(user + TOOLS);
    JsonNode answered = request("\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\","
        + " \"tool_calls\": [{\"id\": \"c1\", \"type\": \"function\", \"function\": {\"name\": \"lookup\","
        + " \"arguments\": \"{}\"}}]}, {\"role\": \"tool\", \"tool_call_id\": \"c1\", \"content\":"
        + " [{\"type\": \"text\", \"text\": \"42\"}]}], " + TOOLS + ", \"tool_choice\": \"required\"");

    assertThat(MockUpstream.forcedFunction(auto)).isNull();
    assertThat(MockUpstream.forcedFunction(unforced)).isNull();
    assertThat(MockUpstream.forcedFunction(answered)).isNull();
    assertThat(MockUpstream.reply(answered, null))
        .isEqualTo("Hello from Spillway's mock provider. The tool answered: 42");
    assertThat(MockUpstream.reply(auto, null)).isEqualTo("Hello from Spillway's mock provider. You said: hi");
  }
}
