package dev.spillway.dataplane.protocol.gemini;

import static dev.spillway.dataplane.protocol.ProviderGolden.JSON;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** JSON Schema → Gemini Schema rewrites beyond those the golden files show. */
class GeminiSchemasTest {
  private static JsonNode convert(String schema) {
    return GeminiSchemas.convert(JSON.readTree(schema), "schema");
  }

  @Test
  void turnsSeveralTypesIntoAnyOfAndKeepsNullAsNullable() {
    assertThat(convert("{\"type\":[\"string\",\"integer\",\"null\"]}")).isEqualTo(JSON.readTree(
        "{\"nullable\":true,\"anyOf\":[{\"type\":\"STRING\"},{\"type\":\"INTEGER\"}]}"));
  }

  @Test
  void writesEnumValuesAsStringsAndTheFirstExampleAsExample() {
    assertThat(convert("{\"type\":\"integer\",\"enum\":[1,2],\"examples\":[1]}")).isEqualTo(JSON.readTree(
        "{\"type\":\"INTEGER\",\"enum\":[\"1\",\"2\"],\"example\":1}"));
  }

  @Test
  void turnsTupleItemsIntoAnyOfAndInfersObjectAndArrayTypes() {
    assertThat(convert("{\"items\":[{\"type\":\"string\"},{\"type\":\"number\"}]}")).isEqualTo(JSON.readTree(
        "{\"type\":\"ARRAY\",\"items\":{\"anyOf\":[{\"type\":\"STRING\"},{\"type\":\"NUMBER\"}]}}"));
    assertThat(convert("{\"properties\":{\"a\":true}}")).isEqualTo(JSON.readTree(
        "{\"type\":\"OBJECT\",\"properties\":{\"a\":{}}}"));
  }

  @Test
  void dropsKeywordsGeminiRefuses() {
    JsonNode converted = convert("{\"$schema\":\"x\",\"$id\":\"y\",\"type\":\"object\",\"additionalProperties\":{},"
        + "\"patternProperties\":{},\"properties\":{\"n\":{\"type\":\"number\",\"multipleOf\":2,"
        + "\"exclusiveMinimum\":0,\"format\":\"double\"}}}");

    assertThat(converted).isEqualTo(JSON.readTree(
        "{\"type\":\"OBJECT\",\"properties\":{\"n\":{\"type\":\"NUMBER\",\"format\":\"double\"}}}"));
  }
}
