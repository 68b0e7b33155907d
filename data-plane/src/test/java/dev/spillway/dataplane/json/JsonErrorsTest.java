package dev.spillway.dataplane.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.spillway.dataplane.error.GatewayException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/** Parse errors as a client reads them: what is wrong and where, never the parser's internals. */
class JsonErrorsTest {
  /** Text that names Jackson's configuration or classes rather than the client's JSON. */
  static final List<String> INTERNALS = List.of("jackson", "StreamReadConstraints", "JsonReadFeature",
      "StreamReadFeature", "DeserializationFeature", "Feature '", "Source:", "REDACTED", "`", "JsonToken", "#UNKNOWN");

  private static String bodyError(String body) {
    ByteBuf buf = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
    try {
      Throwable thrown = catchThrowable(() -> Json.parseObject(buf));
      assertThat(thrown).as(body).isInstanceOf(GatewayException.class);
      return thrown.getMessage();
    } finally {
      buf.release();
    }
  }

  /** Found by RequestFuzzTest: bytes that look like UTF-32 of no known order failed as an I/O error, a 500. */
  @Test
  void bytesInNoEncodingJsonAllowsAreABadRequest() {
    ByteBuf buf = Unpooled.wrappedBuffer(new byte[] {0, 0, (byte) 0xFF, (byte) 0xFE, '{', '}'});
    try {
      Throwable thrown = catchThrowable(() -> Json.parseObject(buf));
      assertThat(thrown).isInstanceOf(GatewayException.class).hasMessage("request body is not valid JSON: its first "
          + "bytes are in no encoding JSON allows (UTF-8, UTF-16, UTF-32)");
    } finally {
      buf.release();
    }
    assertThat(catchThrowable(() -> Json.parse(new byte[] {0, 0, (byte) 0xFF, (byte) 0xFE})))
        .isInstanceOf(InvalidJsonException.class);
  }

  @Test
  void namesTheNestingLimitAndWhereItWasPassed() {
    String deep = "[".repeat(Json.MAX_NESTING_DEPTH + 1) + "]".repeat(Json.MAX_NESTING_DEPTH + 1);

    assertThat(bodyError(deep)).isEqualTo("request body is not valid JSON: nesting deeper than 128 levels"
        + " at line 1, column 129");
  }

  @Test
  void explainsThatNanAndInfinityAreNotJsonNumbers() {
    assertThat(bodyError("{\"temperature\":NaN}")).isEqualTo("request body is not valid JSON: NaN and Infinity are"
        + " not valid JSON numbers at line 1, column 19");
    assertThat(bodyError("{\n  \"temperature\": -Infinity\n}")).isEqualTo("request body is not valid JSON: NaN and"
        + " Infinity are not valid JSON numbers at line 2, column 27");
  }

  static Stream<Arguments> malformedBodies() {
    return Stream.of(
        arguments("{", "unexpected end of input: an object is not closed at line 1, column 2"),
        arguments("{\"a\":[1,2", "unexpected end of input: an array is not closed at line 1, column 10"),
        arguments("{\"a\":\"abc", "unexpected end of input inside a string at line 1, column 10"),
        arguments("{\"a\":1,}", "a comma before '}' must be followed by another property at line 1, column 8"),
        arguments("{a:1}", "property names must be double-quoted strings (found 'a') at line 1, column 2"),
        arguments("{\"a\":+1}", "numbers must not start with '+' at line 1, column 7"),
        arguments("{\"a\":01}", "numbers must not have leading zeros at line 1, column 7"),
        arguments("{\"a\":tru}", "unrecognized token 'tru' (expected a string, number, object, array, true, false"
            + " or null) at line 1, column 6"),
        arguments("{\"a\":1 /* note */}", "comments are not allowed in JSON at line 1, column 8"),
        arguments("{\"a\":1} {\"b\":2}", "unexpected content after the JSON value at line 1, column 9"),
        arguments("{\"a\":[1,2}", "'}' does not match the array it closes at line 1, column 10"),
        arguments("{\"a\" 1}", "expected ':' after a property name, found '1' at line 1, column 6"),
        arguments("{\"a\":1 \"b\":2}", "expected ',' or '}' after an object entry, found '\"' at line 1, column 8"),
        arguments("{\"a\":\"\\x\"}", "invalid escape sequence in a string (\\ followed by 'x') at line 1, column 8"));
  }

  @ParameterizedTest
  @MethodSource("malformedBodies")
  void saysWhatIsWrongWithTheBodyAndWhere(String body, String problem) {
    assertThat(bodyError(body)).isEqualTo("request body is not valid JSON: " + problem);
  }

  @Test
  void namesAControlCharacterByItsCodePoint() {
    assertThat(bodyError("{\"a\":\"line\nbreak\"}")).isEqualTo("request body is not valid JSON: control character"
        + " U+000A must be escaped inside a string at line 1, column 11");
  }

  @Test
  void saysSoWhenTheBytesAreNotUtf8() {
    byte[] latin1 = "{\"a\":\"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1);
    ByteBuf buf = Unpooled.wrappedBuffer(latin1);
    try {
      assertThatThrownBy(() -> Json.parseObject(buf)).hasMessageStartingWith("request body is not valid JSON: the"
          + " text is not valid UTF-8 at line 1");
    } finally {
      buf.release();
    }
  }

  static Stream<String> hostileBodies() {
    return Stream.of("{", "{\"a\":NaN}", "{\"a\":1,}", "{\"a\":1}x", "[1,2]]", "{\"a\":[1,2}", "{'a':1}",
        "{\"a\":1 // c\n}", "{\"a\":" + "1".repeat(150) + "}", "{\"a\":\"\\u12G4\"}", "{\"a\":1}\u0000", "}",
        "{\"a\":-}", "{\"a\":.5}", "{\"a\":#}", "[".repeat(500), "{\"a\":\"" + "\u0001" + "\"}");
  }

  @ParameterizedTest
  @MethodSource("hostileBodies")
  void neverNamesTheParsersInternals(String body) {
    assertThat(bodyError(body)).startsWith("request body is not valid JSON: ").doesNotContainIgnoringCase("jackson")
        .satisfies(message -> INTERNALS.forEach(internal -> assertThat(message).doesNotContain(internal)));
  }

  @Test
  void reportsAProvidersInvalidJsonInPlainWordsToo() {
    assertThatThrownBy(() -> Json.parse("{\"choices\":[".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(InvalidJsonException.class)
        .hasMessage("not valid JSON: unexpected end of input: an array is not closed at line 1, column 13");
    ByteBuf answer = Unpooled.copiedBuffer("{\"usage\":{\"prompt_tokens\":NaN}}", StandardCharsets.UTF_8);
    try {
      assertThatThrownBy(() -> Json.parseFields(answer, Set.of("usage")))
          .isInstanceOf(InvalidJsonException.class)
          .hasMessage("not valid JSON: NaN and Infinity are not valid JSON numbers at line 1, column 30");
    } finally {
      answer.release();
    }
  }

  @Test
  void readsNothingAsAMissingValueLikeBefore() {
    JsonNode none = Json.parse(new byte[0]);

    assertThat(none.isMissingNode()).isTrue();
  }
}
