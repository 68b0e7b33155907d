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

/** {@code /v1/completions}: the documented fields checked before any provider is called. */
class OpenAiCompletionsFormatValidationTest {
  private final OpenAiCompletionsFormat format = new OpenAiCompletionsFormat();

  static ObjectNode request(String fields) {
    ObjectNode body = (ObjectNode) Json.parse("{\"model\":\"m\",\"prompt\":\"p\"}".getBytes(StandardCharsets.UTF_8));
    body.setAll((ObjectNode) Json.parse(("{" + fields + "}").getBytes(StandardCharsets.UTF_8)));
    return body;
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "\"prompt\":[\"a\",\"b\"]", "\"prompt\":[1,2]", "\"prompt\":[[1],[2,3]]", "\"prompt\":\"\"",
      // max_tokens 0 with echo scores a prompt
      "\"max_tokens\":0,\"echo\":true,\"logprobs\":0", "\"logprobs\":5,\"best_of\":20,\"n\":128,\"suffix\":\"s\"",
      "\"temperature\":2,\"top_p\":0,\"presence_penalty\":2,\"frequency_penalty\":-2,\"seed\":42,\"stop\":[\"x\"],"
          + "\"user\":\"u\",\"logit_bias\":{\"1\":0},\"stream\":true,\"stream_options\":{\"include_usage\":true}",
      "\"max_tokens\":null,\"suffix\":null,\"echo\":null,\"logprobs\":null,\"best_of\":null,\"stream_options\":null",
      "\"unknown_field\":{\"kept\":true}"})
  void acceptsWhatOpenAiAccepts(String fields) {
    ObjectNode body = request(fields);
    String before = body.toString();

    assertThat(format.parse(body).original()).isSameAs(body);
    assertThat(body.toString()).isEqualTo(before);
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(delimiter = '|', textBlock = """
      "prompt":null                               | prompt | prompt: is required
      "prompt":5                                  | prompt | prompt: must be a string, an array of strings or an array of token ids
      "max_tokens":-1                             | max_tokens | max_tokens: must be an integer of at least 0 and at most 2147483647 (got -1)
      "max_tokens":99999999999999999999           | max_tokens | (got 99999999999999999999)
      "n":-1                                      | n | n: must be an integer from 1 to 128 (got -1)
      "n":0                                       | n | n: must be an integer from 1 to 128 (got 0)
      "temperature":3                             | temperature | temperature: must be a number from 0 to 2 (got 3)
      "top_p":-1                                  | top_p | top_p: must be a number from 0 to 1
      "presence_penalty":"x"                      | presence_penalty | presence_penalty: must be a number from -2 to 2 (got a string)
      "seed":"1"                                  | seed | seed: must be an integer (got a string)
      "stream":1                                  | stream | stream: must be true or false (got 1)
      "stream_options":5                          | stream_options | stream_options: must be an object (got 5)
      "stream_options":{"include_usage":1}        | stream_options.include_usage | stream_options.include_usage: must be true or false
      "stop":["a","b","c","d","e"]                | stop | at most 4 (got 5)
      "stop":{}                                   | stop | stop: must be a string or an array of strings (got an object)
      "user":[]                                   | user | user: must be a string (got an array)
      "logit_bias":{"1":"x"}                      | logit_bias | logit_bias: values must be numbers from -100 to 100
      "suffix":5                                  | suffix | suffix: must be a string (got 5)
      "echo":"yes"                                | echo | echo: must be true or false
      "logprobs":6                                | logprobs | logprobs: must be an integer from 0 to 5 (got 6)
      "logprobs":true                             | logprobs | logprobs: must be an integer (got true)
      "best_of":21                                | best_of | best_of: must be an integer from 0 to 20 (got 21)
      "best_of":99999999999999999999              | best_of | best_of: must be an integer from 0 to 20
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
