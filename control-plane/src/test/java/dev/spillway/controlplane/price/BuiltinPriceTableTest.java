package dev.spillway.controlplane.price;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class BuiltinPriceTableTest {

  @Test
  void readsRowsSkippingCommentsAndBlankLines() {
    List<BuiltinPrice> prices = BuiltinPriceTable.parse(List.of("# comment", "", "openai,gpt-x,1.00,2.00,",
        "anthropic,claude-x,3,15,0.30"));

    assertThat(prices).hasSize(2);
    assertThat(prices.get(0).cachedInputPerMtokUsd()).isNull();
    assertThat(prices.get(1).cachedInputPerMtokUsd()).isEqualByComparingTo("0.30");
  }

  @Test
  void refusesMalformedRowsNamingTheLine() {
    assertThatThrownBy(() -> BuiltinPriceTable.parse(List.of("openai,gpt-x,1,2"))).hasMessageContaining("line 1");
    assertThatThrownBy(() -> BuiltinPriceTable.parse(List.of("mistral,m,1,2,"))).hasMessageContaining("mistral");
    assertThatThrownBy(() -> BuiltinPriceTable.parse(List.of("openai,m,-1,2,"))).hasMessageContaining("negative");
    assertThatThrownBy(() -> BuiltinPriceTable.parse(List.of("openai,m,1,2,", "openai,m,1,2,")))
        .hasMessageContaining("duplicate");
  }

  @Test
  void theShippedTableCoversEveryMajorProvider() {
    assertThat(BuiltinPriceTable.load()).extracting(BuiltinPrice::providerType)
        .contains("openai", "anthropic", "bedrock", "gemini", "openai-compatible");
  }
}
