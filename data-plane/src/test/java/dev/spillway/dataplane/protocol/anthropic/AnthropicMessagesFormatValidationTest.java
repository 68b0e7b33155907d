package dev.spillway.dataplane.protocol.anthropic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.json.Json;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code /v1/messages} and {@code /v1/messages/count_tokens}: the documented fields checked before any provider is
 * called, with Anthropic's paths ({@code messages.0.content}).
 */
class AnthropicMessagesFormatValidationTest {
  private final AnthropicMessagesFormat format = new AnthropicMessagesFormat();

  static ObjectNode request(String fields) {
    ObjectNode body = json("{\"model\":\"m\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    body.setAll(json("{" + fields + "}"));
    return body;
  }

  static ObjectNode json(String text) {
    return (ObjectNode) Json.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "\"max_tokens\":2147483647,\"temperature\":1,\"top_p\":0,\"top_k\":0,\"stream\":false,\"stop_sequences\":[],"
          + "\"metadata\":{\"user_id\":\"u\"},\"system\":[{\"type\":\"text\",\"text\":\"s\",\"cache_control\":"
          + "{\"type\":\"ephemeral\"}}]",
      "\"temperature\":null,\"top_p\":null,\"top_k\":null,\"stream\":null,\"stop_sequences\":null,\"metadata\":null,"
          + "\"system\":null,\"tools\":null,\"tool_choice\":null,\"thinking\":null",
      "\"metadata\":{\"user_id\":null}",
      "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},\"tool_choice\":{\"type\":\"any\","
          + "\"disable_parallel_tool_use\":true},\"tools\":[{\"name\":\"t\",\"description\":\"d\",\"input_schema\":"
          + "{\"type\":\"object\"}},{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]",
      "\"thinking\":{\"type\":\"disabled\"}",
      "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"image\",\"source\":"
          + "{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"AA==\"}},{\"type\":\"image\",\"source\":"
          + "{\"type\":\"url\",\"url\":\"https://x/a.png\"}},{\"type\":\"image\",\"source\":{\"type\":\"file\","
          + "\"file_id\":\"file_1\"}},{\"type\":\"document\",\"source\":{\"type\":\"text\",\"media_type\":"
          + "\"text/plain\",\"data\":\"d\"}},{\"type\":\"document\",\"source\":{\"type\":\"url\",\"url\":\"https://x\"}},"
          + "{\"type\":\"document\",\"source\":{\"type\":\"content\",\"content\":[{\"type\":\"text\",\"text\":\"c\"}]}},"
          + "{\"type\":\"search_result\",\"source\":\"s\",\"title\":\"t\",\"content\":[]}]}]",
      "\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\","
          + "\"thinking\":\"hm\",\"signature\":\"sig\"},{\"type\":\"thinking\",\"thinking\":\"unsigned\"},"
          + "{\"type\":\"redacted_thinking\",\"data\":\"x\"},{\"type\":\"text\",\"text\":\"t\"},{\"type\":\"tool_use\","
          + "\"id\":\"toolu_1\",\"name\":\"f\",\"input\":{}},{\"type\":\"server_tool_use\",\"id\":\"s\",\"name\":\"w\"}]},"
          + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"is_error\":false,"
          + "\"content\":[{\"type\":\"text\",\"text\":\"42\"},{\"type\":\"image\",\"source\":{\"type\":\"url\","
          + "\"url\":\"https://x\"}}]},{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\"}]}]",
      "\"messages\":[{\"role\":\"assistant\",\"content\":\"prefill\"}],\"unknown_field\":1"})
  void acceptsWhatAnthropicAccepts(String fields) {
    ObjectNode body = request(fields);
    String before = body.toString();

    assertThat(format.parse(body, new DefaultHttpHeaders()).original()).isSameAs(body);
    assertThat(body.toString()).isEqualTo(before);
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(delimiter = '|', textBlock = """
      "max_tokens":null                                     | max_tokens | max_tokens: Field required
      "max_tokens":-1                                       | max_tokens | max_tokens: must be an integer of at least 1 and at most 2147483647 (got -1)
      "max_tokens":99999999999999999999                     | max_tokens | max_tokens: must be an integer of at least 1 and at most 2147483647 (got 99999999999999999999)
      "max_tokens":1.5                                      | max_tokens | max_tokens: must be an integer (got 1.5)
      "max_tokens":"8"                                      | max_tokens | max_tokens: must be an integer (got a string)
      "messages":null                                       | messages | messages: Field required
      "messages":{}                                         | messages | messages: must be a non-empty array
      "messages":[5]                                        | messages.0 | messages.0: must be an object
      "messages":[{"role":"nobody","content":"x"}]          | messages.0.role | messages.0.role: must be user or assistant (got "nobody")
      "messages":[{"role":"system","content":"x"}]          | messages.0.role | messages.0.role: must be user or assistant (got "system")
      "messages":[{"role":1,"content":"x"}]                 | messages.0.role | messages.0.role: must be user or assistant (got 1)
      "messages":[{"role":"user","content":5}]              | messages.0.content | messages.0.content: must be a string or an array of content blocks (got 5)
      "messages":[{"role":"user","content":[{"type":"text"}]}] | messages.0.content.0.text | messages.0.content.0.text: Field required
      "messages":[{"role":"user","content":[{"type":"image"}]}] | messages.0.content.0.source | messages.0.content.0.source: Field required
      "messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"AA=="}}]}] | messages.0.content.0.source.media_type | messages.0.content.0.source.media_type: Field required
      "messages":[{"role":"user","content":[{"type":"image","source":{"type":"url"}}]}] | messages.0.content.0.source.url | messages.0.content.0.source.url: Field required
      "messages":[{"role":"user","content":[{"type":"image","source":{"type":"ftp"}}]}] | messages.0.content.0.source.type | messages.0.content.0.source.type: must be base64, url or file
      "messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf"}}]}] | messages.0.content.0.source.data | messages.0.content.0.source.data: Field required
      "messages":[{"role":"user","content":[{"type":"document","source":{"type":"content","content":5}}]}] | messages.0.content.0.source.content | must be a string or an array of content blocks
      "messages":[{"role":"user","content":[{"type":"document","source":{"type":"file"}}]}] | messages.0.content.0.source.file_id | messages.0.content.0.source.file_id: Field required
      "messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","is_error":"yes"}]}] | messages.0.content.0.is_error | messages.0.content.0.is_error: must be true or false
      "messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":["x"]}]}] | messages.0.content.0.content.0 | must be a content block with a type
      "messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":1}]}]}] | messages.0.content.0.content.0.text | messages.0.content.0.content.0.text: must be a string (got 1)
      "messages":[{"role":"assistant","content":[{"type":"text","text":5}]}] | messages.0.content.0.text | messages.0.content.0.text: must be a string (got 5)
      "messages":[{"role":"assistant","content":[{"type":"thinking","signature":"s"}]}] | messages.0.content.0.thinking | messages.0.content.0.thinking: Field required
      "messages":[{"role":"assistant","content":[{"type":"redacted_thinking"}]}] | messages.0.content.0.data | messages.0.content.0.data: Field required
      "messages":[{"role":"assistant","content":[{"type":"tool_use","name":"f","input":{}}]}] | messages.0.content.0.id | messages.0.content.0.id: Field required
      "messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","input":{}}]}] | messages.0.content.0.name | messages.0.content.0.name: Field required
      "messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":"{}"}]}] | messages.0.content.0.input | messages.0.content.0.input: must be an object (got a string)
      "system":[{"type":"image"}]                           | system.0 | system.0: must be a text block
      "temperature":1.5                                     | temperature | temperature: must be a number from 0 to 1 (got 1.5)
      "temperature":-1                                      | temperature | temperature: must be a number from 0 to 1 (got -1)
      "top_p":2                                             | top_p | top_p: must be a number from 0 to 1 (got 2)
      "top_k":-1                                            | top_k | top_k: must be an integer of at least 0 and at most 2147483647 (got -1)
      "top_k":1.5                                           | top_k | top_k: must be an integer (got 1.5)
      "top_k":99999999999999999999                          | top_k | (got 99999999999999999999)
      "stop_sequences":"END"                                | stop_sequences | stop_sequences: must be an array of strings
      "stream":"yes"                                        | stream | stream: must be true or false
      "tools":{}                                            | tools | tools: must be an array
      "tools":[{"input_schema":{}}]                         | tools.0.name | tools.0.name: Field required
      "tools":[{"name":"t","input_schema":{},"description":5}] | tools.0.description | tools.0.description: must be a string (got 5)
      "tool_choice":"auto"                                  | tool_choice | tool_choice: must be an object with a type
      "tool_choice":{"type":"tool"}                         | tool_choice.name | tool_choice.name: Field required
      "tool_choice":{"type":"auto","disable_parallel_tool_use":"yes"} | tool_choice.disable_parallel_tool_use | tool_choice.disable_parallel_tool_use: must be true or false
      "thinking":"on"                                       | thinking | thinking: must be an object with a type (got a string)
      "thinking":{}                                         | thinking.type | thinking.type: Field required
      "thinking":{"type":"enabled"}                         | thinking.budget_tokens | thinking.budget_tokens: Field required
      "thinking":{"type":"enabled","budget_tokens":0}       | thinking.budget_tokens | thinking.budget_tokens: must be an integer of at least 1
      "thinking":{"type":"enabled","budget_tokens":99999999999999999999} | thinking.budget_tokens | (got 99999999999999999999)
      "metadata":"m"                                        | metadata | metadata: must be an object (got a string)
      "metadata":{"user_id":5}                              | metadata.user_id | metadata.user_id: must be a string (got 5)
      """)
  void refusesWhatAnthropicRefusesNamingTheField(String fields, String param, String message) {
    assertThatThrownBy(() -> format.parse(request(fields), new DefaultHttpHeaders()))
        .isInstanceOfSatisfying(GatewayException.class, e -> {
          assertThat(e.error()).isEqualTo(GatewayError.INVALID_REQUEST);
          assertThat(e.param()).isEqualTo(param);
          assertThat(e.getMessage()).startsWith(param + ": ").contains(message);
        });
  }

  @Test
  void countTokensRefusesAHugeMaxTokensButNeedsNone() {
    ObjectNode huge = json("{\"model\":\"m\",\"max_tokens\":99999999999999999999,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    ObjectNode none = json("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");

    assertThatThrownBy(() -> AnthropicMessagesFormat.countTokensCall(huge, new DefaultHttpHeaders()))
        .isInstanceOfSatisfying(GatewayException.class, e -> {
          assertThat(e.param()).isEqualTo("max_tokens");
          assertThat(e.getMessage()).contains("at most 2147483647");
        });
    assertThat(AnthropicMessagesFormat.countTokensCall(none, new DefaultHttpHeaders()).canonical().has("max_tokens"))
        .isFalse();
  }

  @Test
  void countTokensChecksTheSameFieldsAsMessages() {
    ObjectNode body = json("{\"model\":\"m\",\"temperature\":3,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");

    assertThatThrownBy(() -> AnthropicMessagesFormat.countTokensCall(body, new DefaultHttpHeaders()))
        .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.param()).isEqualTo("temperature"));
  }
}
