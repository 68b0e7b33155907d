package dev.spillway.dataplane.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.json.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.node.ObjectNode;

/** {@code /v1/embeddings}: the documented fields checked before any provider is called. */
class EmbeddingsCallTest {
  static ObjectNode json(String text) {
    return (ObjectNode) Json.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', textBlock = """
      {"model":"m","input":"a"}                                                                  | false | false
      {"model":"m","input":["a","b"],"encoding_format":"base64","dimensions":1,"user":"u"}      | true  | false
      {"model":"m","input":[1,2,3],"encoding_format":"float","dimensions":65536}               | false | true
      {"model":"m","input":[[1,2],[3]],"encoding_format":null,"dimensions":null,"user":null}   | false | true
      {"model":"m","input":"a","unknown":{"kept":1}}                                             | false | false
      """)
  void acceptsWhatOpenAiAccepts(String body, boolean base64, boolean tokens) {
    ObjectNode request = json(body);
    String before = request.toString();

    EmbeddingsCall call = EmbeddingsCall.parse(request);

    assertThat(call.base64()).isEqualTo(base64);
    assertThat(call.tokenInput()).isEqualTo(tokens);
    assertThat(request.toString()).isEqualTo(before);
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(delimiter = '|', textBlock = """
      {"input":"a"}                                          | model | model: is required
      {"model":"m"}                                          | input | input: is required
      {"model":"m","input":""}                               | input | input: must not be empty
      {"model":"m","input":[]}                               | input | input: must be a string, an array of strings or token arrays
      {"model":"m","input":5}                                | input | input: must be a string, an array of strings or token arrays
      {"model":"m","input":["a",2]}                          | input | input[1]: must be a non-empty string
      {"model":"m","input":[[1],[]]}                         | input | input[1]: must be a string, a token id or a token array
      {"model":"m","input":"a","encoding_format":"hex"}      | encoding_format | encoding_format: must be float or base64
      {"model":"m","input":"a","dimensions":0}               | dimensions | dimensions: must be an integer from 1 to 65536 (got 0)
      {"model":"m","input":"a","dimensions":99999999999999999999} | dimensions | dimensions: must be an integer from 1 to 65536 (got 99999999999999999999)
      {"model":"m","input":"a","dimensions":"8"}             | dimensions | dimensions: must be an integer (got a string)
      {"model":"m","input":"a","user":5}                     | user | user: must be a string (got 5)
      """)
  void refusesWhatOpenAiRefusesNamingTheField(String body, String param, String message) {
    assertThatThrownBy(() -> EmbeddingsCall.parse(json(body)))
        .isInstanceOfSatisfying(GatewayException.class, e -> {
          assertThat(e.error()).isEqualTo(GatewayError.INVALID_REQUEST);
          assertThat(e.param()).isEqualTo(param);
          assertThat(e.getMessage()).startsWith(message);
        });
  }
}
