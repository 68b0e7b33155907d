package dev.spillway.dataplane.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.config.PriceConfig;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class PriceTableTest {
  final PriceTable prices = PriceTable.of(List.of(
      new PriceConfig("oai", "gpt-4o", new BigDecimal("2.50"), new BigDecimal("10"), new BigDecimal("1.25")),
      new PriceConfig("ant", "claude", new BigDecimal("3"), new BigDecimal("15"), null)));

  @Test
  void inputAndOutputCostTheirPricePerMillionTokens() {
    PriceTable.Cost cost = prices.cost("oai", "gpt-4o", new Usage(1_000_000, 100_000, 0));

    assertThat(cost.usd()).isEqualByComparingTo("3.50");
    assertThat(cost.unpriced()).isFalse();
  }

  @Test
  void cachedInputTokensCostTheCachedPriceWhereThereIsOne() {
    assertThat(prices.cost("oai", "gpt-4o", new Usage(1000, 0, 400)).usd())
        .isEqualByComparingTo(new BigDecimal("0.0015").add(new BigDecimal("0.0005")));
    assertThat(prices.cost("ant", "claude", new Usage(1000, 0, 400)).usd()).isEqualByComparingTo("0.003");
  }

  @Test
  void costsAreKeptToTheNanoDollar() {
    assertThat(prices.cost("oai", "gpt-4o", new Usage(1, 0, 0)).usd()).isEqualByComparingTo("0.0000025");
    assertThat(prices.cost("oai", "gpt-4o", new Usage(1, 0, 0)).usd().scale()).isEqualTo(9);
  }

  @Test
  void aModelWithoutAPriceIsUnpricedNotFree() {
    PriceTable.Cost cost = prices.cost("oai", "gpt-5-preview", new Usage(10, 10, 0));

    assertThat(cost.unpriced()).isTrue();
    assertThat(cost.usd()).isZero();
  }

  @Test
  void anAnswerNoProviderGaveCostsNothingAndIsNotUnpriced() {
    PriceTable.Cost cost = prices.cost(null, null, new Usage(100, 50, 0));

    assertThat(cost.usd()).isZero();
    assertThat(cost.unpriced()).isFalse();
  }

  @Test
  void noTokensCostNothingPricedOrNot() {
    assertThat(prices.cost("oai", "unknown", Usage.NONE).unpriced()).isFalse();
    assertThat(prices.cost(null, null, Usage.NONE).usd()).isZero();
  }
}
