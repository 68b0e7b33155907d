package dev.spillway.controlplane.price;

import static dev.spillway.controlplane.ApiAssertions.assertApiError;
import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.PriceConfig;
import dev.spillway.config.SnapshotCodec;
import dev.spillway.controlplane.ApiResponse;
import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code /api/v1/prices}: the shipped table per provider type, and the admin's overrides per provider model. */
class PriceApiIT extends ControlPlaneIntegrationTest {

  @Test
  void everyProviderGetsTheBuiltInPricesOfItsType() {
    String provider = unique("priced");
    createProvider(provider, "sk-test-0123456789abcdef");

    JsonNode prices = assertStatus(admin().get("/api/v1/prices?provider=" + provider), 200);

    JsonNode gpt4o = find(prices, "gpt-4o");
    assertThat(gpt4o.get("source").stringValue()).isEqualTo("builtin");
    assertThat(gpt4o.get("provider_type").stringValue()).isEqualTo("openai");
    assertThat(gpt4o.get("input_per_mtok_usd").decimalValue()).isEqualByComparingTo("2.50");
    assertThat(gpt4o.get("output_per_mtok_usd").decimalValue()).isEqualByComparingTo("10");
    assertThat(gpt4o.get("cached_input_per_mtok_usd").decimalValue()).isEqualByComparingTo("1.25");
    assertThat(jdbc.sql("SELECT count(DISTINCT provider_type) FROM builtin_prices").query(Long.class).single())
        .isGreaterThanOrEqualTo(5);
  }

  @Test
  void anOverrideWinsReachesTheSnapshotAndCanBeRemoved() {
    String provider = unique("override");
    createProvider(provider, "sk-test-0123456789abcdef");

    JsonNode put = assertStatus(admin().put("/api/v1/prices/" + provider + "/gpt-4o", """
        {"input_per_mtok_usd": 1.5, "output_per_mtok_usd": 6, "cached_input_per_mtok_usd": 0.75}"""), 200);
    assertThat(put.get("source").stringValue()).isEqualTo("override");
    assertThat(find(assertStatus(admin().get("/api/v1/prices?provider=" + provider), 200), "gpt-4o")
        .get("input_per_mtok_usd").decimalValue()).isEqualByComparingTo("1.5");

    long version = awaitSnapshotCaughtUp();
    ApiResponse poll = pollSnapshot(version - 1);
    PriceConfig inSnapshot = new SnapshotCodec().decode(poll.body(), poll.header("Spillway-Snapshot-Sha256"))
        .prices().stream().filter(p -> p.provider().equals(provider) && p.model().equals("gpt-4o")).findFirst()
        .orElseThrow();
    assertThat(inSnapshot.inputPerMtokUsd()).isEqualByComparingTo("1.5");

    assertStatus(admin().delete("/api/v1/prices/" + provider + "/gpt-4o"), 204);
    assertThat(find(assertStatus(admin().get("/api/v1/prices?provider=" + provider), 200), "gpt-4o")
        .get("source").stringValue()).isEqualTo("builtin");
    assertApiError(admin().delete("/api/v1/prices/" + provider + "/gpt-4o"), 404, null);
  }

  @Test
  void aModelNameMayContainSlashes() {
    String provider = unique("compat");
    assertStatus(admin().post("/api/v1/providers", """
        {"name": "%s", "type": "openai-compatible", "base_url": "https://llm.example.com/v1"}"""
        .formatted(provider)), 201);

    assertStatus(admin().put("/api/v1/prices/" + provider + "/meta-llama/Llama-3-70b", """
        {"input_per_mtok_usd": 0.9, "output_per_mtok_usd": 0.9}"""), 200);

    assertThat(find(assertStatus(admin().get("/api/v1/prices?provider=" + provider), 200), "meta-llama/Llama-3-70b")
        .get("source").stringValue()).isEqualTo("override");
  }

  @Test
  void refusesInvalidPrices() {
    String provider = unique("bad-price");
    createMockProvider(provider);
    String path = "/api/v1/prices/" + provider + "/m";

    assertApiError(admin().put(path, "{\"input_per_mtok_usd\": -1, \"output_per_mtok_usd\": 1}"), 400,
        "input_per_mtok_usd");
    assertApiError(admin().put(path, "{\"input_per_mtok_usd\": 1}"), 400, "output_per_mtok_usd");
    assertApiError(admin().put(path, "{\"input_per_mtok_usd\": 1, \"output_per_mtok_usd\": 1.0000001}"), 400,
        "output_per_mtok_usd");
    assertApiError(admin().put(path, "{\"input_per_mtok_usd\": 1, \"output_per_mtok_usd\": 1, "
        + "\"cached_input_per_mtok_usd\": -0.5}"), 400, "cached_input_per_mtok_usd");
    assertApiError(admin().put(path, "{\"input_per_mtok_usd\": \"cheap\", \"output_per_mtok_usd\": 1}"), 400,
        "input_per_mtok_usd");
    assertApiError(admin().put("/api/v1/prices/no-such-provider/m", """
        {"input_per_mtok_usd": 1, "output_per_mtok_usd": 1}"""), 404, null);
    assertApiError(admin().get("/api/v1/prices?provider=no-such-provider"), 400, "provider");
  }

  @Test
  void theShippedTableParses() {
    var table = BuiltinPriceTable.load();

    assertThat(table).extracting(BuiltinPrice::providerType)
        .contains("openai", "anthropic", "bedrock", "gemini", "openai-compatible");
    assertThat(table).extracting(BuiltinPrice::model).contains("mistral-large-latest", "claude-sonnet-4-20250514");
    assertThat(Map.of()).isEmpty();
  }

  private static JsonNode find(JsonNode prices, String model) {
    return prices.get("data").valueStream().filter(p -> p.get("model").stringValue().equals(model)).findFirst()
        .orElseThrow(() -> new AssertionError(model + " not in " + prices));
  }
}
