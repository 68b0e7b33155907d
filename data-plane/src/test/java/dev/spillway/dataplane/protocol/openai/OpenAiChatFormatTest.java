package dev.spillway.dataplane.protocol.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.ChatCall;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.node.ObjectNode;

/** {@code /v1/chat/completions}: what OpenAI accepts passes untouched, what it refuses is a 400 naming the field. */
class OpenAiChatFormatTest {
  private static final String USER = "[{\"role\":\"user\",\"content\":\"x\"}]";

  private final OpenAiChatFormat format = new OpenAiChatFormat();

  static ObjectNode json(String text) {
    return (ObjectNode) Json.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A valid request with {@code fields} (a JSON object's members) added or replacing the defaults. */
  static ObjectNode request(String fields) {
    ObjectNode body = json("{\"model\":\"m\",\"messages\":" + USER + "}");
    body.setAll(json("{" + fields + "}"));
    return body;
  }

  @Test
  void usesTheRequestItselfAsTheCanonicalFormWithoutCopying() {
    ObjectNode body = request("\"stream\":true,\"stream_options\":{\"include_usage\":true},\"x_unknown\":{\"a\":1}");

    ChatCall call = format.parse(body);

    assertThat(call.original()).isSameAs(body);
    assertThat(call.canonical()).isSameAs(body);
    assertThat(call.stream()).isTrue();
    assertThat(call.includeUsage()).isTrue();
    assertThat(body.path("x_unknown").path("a").asInt()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      // content part types OpenAI does not define, and parts in roles OpenAI would refuse them in: compatible
      // servers take them (vLLM's video_url), so the provider judges
      "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video_url\",\"video_url\":{\"url\":\"https://x/v.mp4\"}}]}]",
      "\"messages\":[{\"role\":\"system\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"u\"}}]}]",
      // every role, content as a string, as parts, and null where OpenAI allows it
      "\"messages\":[{\"role\":\"developer\",\"content\":\"d\"},{\"role\":\"system\",\"content\":[{\"type\":\"text\","
          + "\"text\":\"s\"}]},{\"role\":\"user\",\"content\":\"\",\"name\":\"ann\"}]",
      "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look\"},{\"type\":\"image_url\","
          + "\"image_url\":{\"url\":\"https://x/a.png\",\"detail\":\"low\"}},{\"type\":\"input_audio\",\"input_audio\":"
          + "{\"data\":\"AAA=\",\"format\":\"wav\"}},{\"type\":\"file\",\"file\":{\"file_id\":\"file-1\"}},"
          + "{\"type\":\"file\",\"file\":{\"filename\":\"a.pdf\",\"file_data\":\"data:application/pdf;base64,AA==\"}}]}]",
      "\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":null,\"tool_calls\":"
          + "[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
          + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":[{\"type\":\"text\",\"text\":\"42\"}]}]",
      "\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\","
          + "\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c\","
          + "\"content\":\"ok\"}]",
      "\"messages\":[{\"role\":\"assistant\",\"function_call\":{\"name\":\"f\",\"arguments\":\"{}\"}},"
          + "{\"role\":\"function\",\"name\":\"f\",\"content\":null},{\"role\":\"function\",\"name\":\"f\",\"content\":\"1\"}]",
      "\"messages\":[{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"refusal\","
          + "\"refusal\":\"no\"}]},{\"role\":\"assistant\",\"content\":null,\"refusal\":\"no\"},"
          + "{\"role\":\"assistant\",\"content\":null,\"audio\":{\"id\":\"audio_1\"}}]",
      // unknown fields, on the request and on messages and parts
      "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"t\",\"cache_control\":{}}],"
          + "\"x\":1}],\"service_tier\":\"auto\",\"reasoning_effort\":\"low\",\"metadata\":{\"a\":\"b\"},\"whatever\":[1]",
      // every optional field at its documented bounds, and null
      "\"max_tokens\":1,\"max_completion_tokens\":2147483647,\"n\":128,\"temperature\":0,\"top_p\":1,"
          + "\"presence_penalty\":-2,\"frequency_penalty\":2.0,\"logprobs\":true,\"top_logprobs\":20,"
          + "\"seed\":-9223372036854775808,\"stream\":false,\"stream_options\":{\"include_usage\":false},"
          + "\"stop\":[\"a\",\"b\",\"c\",\"d\"],\"user\":\"u\",\"logit_bias\":{\"50256\":-100,\"1\":100},"
          + "\"parallel_tool_calls\":false",
      "\"max_tokens\":null,\"max_completion_tokens\":null,\"n\":null,\"temperature\":null,\"top_p\":null,"
          + "\"presence_penalty\":null,\"frequency_penalty\":null,\"logprobs\":null,\"top_logprobs\":null,"
          + "\"seed\":null,\"stream\":null,\"stream_options\":null,\"stop\":null,\"user\":null,\"logit_bias\":null,"
          + "\"tools\":null,\"tool_choice\":null,\"response_format\":null",
      "\"stop\":\"END\",\"stream_options\":{}",
      "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather-2\",\"description\":\"d\","
          + "\"parameters\":{\"type\":\"object\"},\"strict\":true}},{\"type\":\"function\",\"function\":{\"name\":\"x\"}},"
          + "{\"type\":\"custom\",\"custom\":{\"name\":\"grammar\"}}],\"tool_choice\":\"required\"",
      "\"tools\":[],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"x\"}}",
      "\"tool_choice\":{\"type\":\"allowed_tools\",\"allowed_tools\":{\"mode\":\"auto\",\"tools\":[]}}",
      "\"tool_choice\":\"none\",\"response_format\":{\"type\":\"json_object\"}",
      "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"r\",\"schema\":{\"type\":\"object\"},"
          + "\"strict\":true}}",
      "\"response_format\":{\"type\":\"text\"}"})
  void acceptsWhatOpenAiAccepts(String fields) {
    ObjectNode body = request(fields);
    String before = body.toString();

    ChatCall call = format.parse(body);

    assertThat(call.canonical()).isSameAs(body);
    assertThat(body.toString()).isEqualTo(before);
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(delimiter = '|', textBlock = """
      # messages
      "messages":null                                                        | messages | messages: is required
      "messages":[]                                                          | messages | messages: must be a non-empty array
      "messages":"hi"                                                        | messages | messages: must be a non-empty array (got a string)
      "messages":[5]                                                         | messages[0] | messages[0]: must be an object with a role (got 5)
      "messages":[{"content":"x"}]                                           | messages[0].role | messages[0].role: is required
      "messages":[{"role":"nobody","content":5}]                             | messages[0].role | messages[0].role: must be one of system, developer, user, assistant, tool, function (got "nobody")
      "messages":[{"role":7,"content":"x"}]                                  | messages[0].role | messages[0].role: must be one of system, developer, user, assistant, tool, function (got 7)
      "messages":[{"role":"user","content":5}]                               | messages[0].content | messages[0].content: must be a string or an array of content parts (got 5)
      "messages":[{"role":"user","content":{"text":"x"}}]                    | messages[0].content | messages[0].content: must be a string or an array of content parts (got an object)
      "messages":[{"role":"user"}]                                           | messages[0].content | messages[0].content: is required for a user message
      "messages":[{"role":"system","content":null}]                          | messages[0].content | messages[0].content: is required for a system message
      "messages":[{"role":"user","content":"a"},{"role":"assistant"}]        | messages[1].content | messages[1].content: is required for an assistant message without tool_calls
      "messages":[{"role":"user","content":"x","name":5}]                    | messages[0].name | messages[0].name: must be a string (got 5)
      # content parts by role
      "messages":[{"role":"user","content":["x"]}]                           | messages[0].content[0] | messages[0].content[0]: must be a content part object with a type (got a string)
      "messages":[{"role":"user","content":[{"text":"x"}]}]                  | messages[0].content[0].type | messages[0].content[0].type: is required
      "messages":[{"role":"user","content":[{"type":"text"}]}]               | messages[0].content[0].text | messages[0].content[0].text: is required
      "messages":[{"role":"user","content":[{"type":"text","text":3}]}]      | messages[0].content[0].text | messages[0].content[0].text: must be a string (got 3)
      "messages":[{"role":"user","content":[{"type":"image_url","image_url":"https://x"}]}] | messages[0].content[0].image_url | messages[0].content[0].image_url: must be an object (got a string)
      "messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}] | messages[0].content[0].image_url.url | messages[0].content[0].image_url.url: is required
      "messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"A"}}]}] | messages[0].content[0].input_audio.format | messages[0].content[0].input_audio.format: is required
      "messages":[{"role":"user","content":[{"type":"file"}]}]               | messages[0].content[0].file | messages[0].content[0].file: is required
      "messages":[{"role":"user","content":[{"type":"file","file":{"file_id":1}}]}] | messages[0].content[0].file.file_id | messages[0].content[0].file.file_id: must be a string (got 1)
      "messages":[{"role":"assistant","content":[{"type":"refusal"}]}]       | messages[0].content[0].refusal | messages[0].content[0].refusal: is required
      "messages":[{"role":"user","content":"a"},{"role":"user","content":["a",{"type":"text","text":"b"}]}] | messages[1].content[0] | messages[1].content[0]: must be a content part object
      # tool calls and tool messages
      "messages":[{"role":"assistant","tool_calls":{}}]                      | messages[0].tool_calls | messages[0].tool_calls: must be an array of tool calls (got an object)
      "messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}] | messages[0].tool_calls[0].id | messages[0].tool_calls[0].id: is required
      "messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"web","function":{"name":"f","arguments":"{}"}}]}] | messages[0].tool_calls[0].type | messages[0].tool_calls[0].type: must be function or custom (got "web")
      "messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function"}]}] | messages[0].tool_calls[0].function | messages[0].tool_calls[0].function: is required
      "messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":{}}}]}] | messages[0].tool_calls[0].function.arguments | messages[0].tool_calls[0].function.arguments: must be a string (got an object)
      "messages":[{"role":"assistant","function_call":{"arguments":"{}"}}]   | messages[0].function_call.name | messages[0].function_call.name: is required
      "messages":[{"role":"tool","content":"42"}]                            | messages[0].tool_call_id | messages[0].tool_call_id: is required
      "messages":[{"role":"tool","tool_call_id":"c"}]                        | messages[0].content | messages[0].content: is required for a tool message
      "messages":[{"role":"function","content":"x"}]                         | messages[0].name | messages[0].name: is required
      "messages":[{"role":"function","name":"f","content":[]}]               | messages[0].content | messages[0].content: must be a string or null for a function message (got an array)
      # numbers
      "max_tokens":-1                                                        | max_tokens | max_tokens: must be an integer of at least 1 and at most 2147483647 (got -1)
      "max_tokens":0                                                         | max_tokens | max_tokens: must be an integer of at least 1
      "max_tokens":99999999999999999999                                      | max_tokens | max_tokens: must be an integer of at least 1 and at most 2147483647 (got 99999999999999999999)
      "max_tokens":2147483648                                                | max_tokens | (got 2147483648)
      "max_tokens":1.5                                                       | max_tokens | max_tokens: must be an integer (got 1.5)
      "max_tokens":"10"                                                      | max_tokens | max_tokens: must be an integer (got a string)
      "max_completion_tokens":0                                              | max_completion_tokens | max_completion_tokens: must be an integer of at least 1
      "n":-1                                                                 | n | n: must be an integer from 1 to 128 (got -1)
      "n":129                                                                | n | n: must be an integer from 1 to 128 (got 129)
      "temperature":2.5                                                      | temperature | temperature: must be a number from 0 to 2 (got 2.5)
      "temperature":-0.1                                                     | temperature | temperature: must be a number from 0 to 2 (got -0.1)
      "temperature":"hot"                                                    | temperature | temperature: must be a number from 0 to 2 (got a string)
      "top_p":1.1                                                            | top_p | top_p: must be a number from 0 to 1 (got 1.1)
      "presence_penalty":-3                                                  | presence_penalty | presence_penalty: must be a number from -2 to 2 (got -3)
      "frequency_penalty":2.01                                               | frequency_penalty | frequency_penalty: must be a number from -2 to 2
      "logprobs":1                                                           | logprobs | logprobs: must be true or false (got 1)
      "top_logprobs":21                                                      | top_logprobs | top_logprobs: must be an integer from 0 to 20 (got 21)
      "seed":1.5                                                             | seed | seed: must be an integer (got 1.5)
      "seed":9223372036854775808                                             | seed | seed: must be an integer that fits in 64 bits
      # flags and shapes
      "stream":"yes"                                                         | stream | stream: must be true or false (got a string)
      "stream_options":5                                                     | stream_options | stream_options: must be an object (got 5)
      "stream_options":{"include_usage":"yes"}                               | stream_options.include_usage | stream_options.include_usage: must be true or false
      "stop":5                                                               | stop | stop: must be a string or an array of strings (got 5)
      "stop":["a","b","c","d","e"]                                           | stop | stop: must be a string or an array of strings, at most 4 (got 5)
      "stop":["a",1]                                                         | stop[1] | stop[1]: must be a string (got 1)
      "user":5                                                               | user | user: must be a string (got 5)
      "logit_bias":[1]                                                       | logit_bias | logit_bias: must be an object (got an array)
      "logit_bias":{"50256":-101}                                            | logit_bias | logit_bias: values must be numbers from -100 to 100 (got -101 for token "50256")
      "parallel_tool_calls":"no"                                             | parallel_tool_calls | parallel_tool_calls: must be true or false
      # tools
      "tools":{}                                                             | tools | tools: must be an array of tools (got an object)
      "tools":[{"function":{"name":"f"}}]                                    | tools[0].type | tools[0].type: is required
      "tools":[{"type":"web_search"}]                                        | tools[0].type | tools[0].type: must be function or custom (got "web_search")
      "tools":[{"type":"function"}]                                          | tools[0].function | tools[0].function: is required
      "tools":[{"type":"function","function":{"description":"d"}}]           | tools[0].function.name | tools[0].function.name: is required
      "tools":[{"type":"function","function":{"name":"get weather"}}]        | tools[0].function.name | tools[0].function.name: must be 1 to 64 letters, digits, underscores or dashes (^[a-zA-Z0-9_-]{1,64}$; got "get weather")
      "tools":[{"type":"function","function":{"name":""}}]                   | tools[0].function.name | must be 1 to 64 letters
      "tools":[{"type":"function","function":{"name":"f","parameters":"{}"}}] | tools[0].function.parameters | tools[0].function.parameters: must be an object (got a string)
      "tools":[{"type":"function","function":{"name":"f"}},{"type":"function","function":{"name":"g","strict":"yes"}}] | tools[1].function.strict | tools[1].function.strict: must be true or false
      "tool_choice":"sometimes"                                              | tool_choice | tool_choice: must be none, auto, required or an object (got "sometimes")
      "tool_choice":5                                                        | tool_choice | tool_choice: must be none, auto, required or an object (got 5)
      "tool_choice":{"function":{"name":"f"}}                                | tool_choice.type | tool_choice.type: is required
      "tool_choice":{"type":"function"}                                      | tool_choice.function | tool_choice.function: is required
      "tool_choice":{"type":"function","function":{}}                        | tool_choice.function.name | tool_choice.function.name: is required
      "tool_choice":{"type":"tool","name":"f"}                               | tool_choice.type | tool_choice.type: must be function, allowed_tools or custom (got "tool")
      # response_format
      "response_format":"json"                                               | response_format | response_format: must be an object with a type (got a string)
      "response_format":{"type":"yaml"}                                      | response_format.type | response_format.type: must be text, json_object or json_schema (got "yaml")
      "response_format":{}                                                   | response_format.type | response_format.type: is required
      "response_format":{"type":"json_schema"}                               | response_format.json_schema | response_format.json_schema: is required
      "response_format":{"type":"json_schema","json_schema":{"schema":{}}}   | response_format.json_schema.name | response_format.json_schema.name: is required
      # model
      "model":null                                                           | model | model: is required
      "model":5                                                              | model | model: must be a non-empty string
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
