package dev.spillway.dataplane.protocol.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.json.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.node.ObjectNode;

/** {@code /v1/responses}: the documented fields checked before any provider is called. */
class OpenAiResponsesFormatValidationTest {
  private final OpenAiResponsesFormat format = new OpenAiResponsesFormat();

  static ObjectNode request(String fields) {
    ObjectNode body = (ObjectNode) Json.parse("{\"model\":\"m\",\"input\":\"hi\"}".getBytes(StandardCharsets.UTF_8));
    body.setAll((ObjectNode) Json.parse(("{" + fields + "}").getBytes(StandardCharsets.UTF_8)));
    return body;
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "\"input\":[{\"role\":\"developer\",\"content\":\"d\"},{\"type\":\"message\",\"role\":\"user\",\"content\":"
          + "[{\"type\":\"input_text\",\"text\":\"t\"},{\"type\":\"input_image\",\"image_url\":\"https://x\"}]}]",
      "\"max_output_tokens\":2147483647,\"temperature\":2,\"top_p\":0,\"stream\":true,\"store\":false,"
          + "\"background\":false,\"parallel_tool_calls\":true,\"top_logprobs\":20,\"max_tool_calls\":3,"
          + "\"truncation\":\"auto\",\"metadata\":{\"k\":\"v\"},\"user\":\"u\",\"include\":[\"reasoning.encrypted_content\"],"
          + "\"service_tier\":\"auto\",\"prompt_cache_key\":\"k\",\"safety_identifier\":\"s\","
          + "\"stream_options\":{\"include_obfuscation\":false},\"reasoning\":{\"effort\":\"low\",\"summary\":\"auto\"},"
          + "\"text\":{\"format\":{\"type\":\"text\"},\"verbosity\":\"low\"}",
      "\"max_output_tokens\":null,\"temperature\":null,\"top_p\":null,\"store\":null,\"metadata\":null,\"user\":null,"
          + "\"reasoning\":null,\"text\":null,\"tools\":null,\"tool_choice\":null,\"include\":null",
      "\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"},\"strict\":true},"
          + "{\"type\":\"web_search\"}],\"tool_choice\":{\"type\":\"function\",\"name\":\"get_weather\"}",
      "\"previous_response_id\":\"resp_1\",\"input\":null", "\"unknown\":[1,2]"})
  void acceptsWhatOpenAiAccepts(String fields) {
    ObjectNode body = request(fields);
    String before = body.toString();

    assertThat(format.parse(body).original()).isSameAs(body);
    assertThat(body.toString()).isEqualTo(before);
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(delimiter = '|', textBlock = """
      "input":5                                               | input | input: must be a string or an array of input items
      "input":[{"role":"robot","content":"x"}]               | input[0].role | input[0].role: must be one of user, assistant, system, developer
      "input":[{"role":"user","content":5}]                  | input[0].content | input[0].content: must be a string or an array of content parts
      "max_output_tokens":0                                   | max_output_tokens | max_output_tokens: must be an integer of at least 1
      "max_output_tokens":99999999999999999999                | max_output_tokens | (got 99999999999999999999)
      "temperature":2.1                                       | temperature | temperature: must be a number from 0 to 2 (got 2.1)
      "top_p":"x"                                             | top_p | top_p: must be a number from 0 to 1 (got a string)
      "stream":"true"                                         | stream | stream: must be true or false
      "store":1                                               | store | store: must be true or false (got 1)
      "background":"no"                                       | background | background: must be true or false
      "parallel_tool_calls":0                                 | parallel_tool_calls | parallel_tool_calls: must be true or false
      "top_logprobs":21                                       | top_logprobs | top_logprobs: must be an integer from 0 to 20
      "max_tool_calls":-1                                     | max_tool_calls | max_tool_calls: must be an integer of at least 0
      "truncation":"sometimes"                                | truncation | truncation: must be auto or disabled (got "sometimes")
      "metadata":[]                                           | metadata | metadata: must be an object (got an array)
      "user":1                                                | user | user: must be a string (got 1)
      "include":"x"                                           | include | include: must be an array of strings (got a string)
      "include":[1]                                           | include[0] | include[0]: must be a string (got 1)
      "stream_options":true                                   | stream_options | stream_options: must be an object (got true)
      "reasoning":"high"                                      | reasoning | reasoning: must be an object (got a string)
      "reasoning":{"effort":3}                                | reasoning.effort | reasoning.effort: must be a string (got 3)
      "text":"json"                                           | text | text: must be an object (got a string)
      "text":{"format":"json"}                                | text.format | text.format: must be an object (got a string)
      "text":{"format":{"type":"yaml"}}                       | text.format.type | text.format.type: must be text, json_object or json_schema
      "tools":{}                                              | tools | tools: must be an array
      "tools":[5]                                             | tools[0] | tools[0]: must be a tool object (got 5)
      "tools":[{"name":"f"}]                                  | tools[0].type | tools[0].type: is required
      "tools":[{"type":"function"}]                           | tools[0].name | tools[0].name: is required
      "tools":[{"type":"function","name":"a b"}]              | tools[0].name | tools[0].name: must be 1 to 64 letters, digits, underscores or dashes
      "tools":[{"type":"function","name":"f","parameters":5}] | tools[0].parameters | tools[0].parameters: must be an object (got 5)
      "tool_choice":"sometimes"                               | tool_choice | tool_choice: must be auto, none, required or an object
      "tool_choice":7                                         | tool_choice | tool_choice: must be auto, none, required or an object (got 7)
      "tool_choice":{}                                        | tool_choice.type | tool_choice.type: is required
      """)
  void refusesWhatOpenAiRefusesNamingTheField(String fields, String param, String message) {
    assertThatThrownBy(() -> format.parse(request(fields)))
        .isInstanceOfSatisfying(GatewayException.class, e -> {
          assertThat(e.error()).isEqualTo(GatewayError.INVALID_REQUEST);
          assertThat(e.param()).isEqualTo(param);
          assertThat(e.getMessage()).startsWith(param + ": ").contains(message);
        });
  }
}
