package dev.spillway.dataplane.usage;

import dev.spillway.config.PriceConfig;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The snapshot's prices by provider name and upstream model, and what a request's tokens cost under them.
 *
 * <p>Cached input tokens are part of the input tokens (OpenAI and Anthropic report them so); they cost the cached
 * price where one is set and the input price where none is. Reasoning tokens are part of the output tokens and cost
 * the output price. Costs are rounded to nano-dollars, the precision the usage tables keep.
 */
public final class PriceTable {
  public static final PriceTable EMPTY = new PriceTable(Map.of());
  private static final BigDecimal PER_MILLION = BigDecimal.valueOf(1_000_000);
  private static final int COST_SCALE = 9;

  /** What one request cost; {@code unpriced} when its model has no price (the cost is then zero, not "free"). */
  public record Cost(BigDecimal usd, boolean unpriced) {
    public static final Cost NOTHING = new Cost(BigDecimal.ZERO.setScale(COST_SCALE), false);
  }

  private final Map<String, PriceConfig> byProviderAndModel;

  private PriceTable(Map<String, PriceConfig> byProviderAndModel) {
    this.byProviderAndModel = byProviderAndModel;
  }

  public static PriceTable of(List<PriceConfig> prices) {
    Map<String, PriceConfig> map = new HashMap<>();
    for (PriceConfig price : prices) {
      map.put(key(price.provider(), price.model()), price);
    }
    return new PriceTable(Map.copyOf(map));
  }

  public PriceConfig price(String provider, String model) {
    return byProviderAndModel.get(key(provider, model));
  }

  /**
   * The cost of {@code usage} on {@code provider}'s {@code model}. No tokens cost nothing, priced or not; nor does an
   * answer no provider gave ({@code provider} null: a cache hit, the node's own estimate).
   */
  public Cost cost(String provider, String model, Usage usage) {
    if (provider == null || model == null || (usage.inputTokens() == 0 && usage.outputTokens() == 0)) {
      return Cost.NOTHING;
    }
    PriceConfig price = price(provider, model);
    if (price == null) {
      return new Cost(Cost.NOTHING.usd(), true);
    }
    long cached = Math.min(usage.cachedInputTokens(), usage.inputTokens());
    BigDecimal cachedPrice = price.cachedInputPerMtokUsd() != null ? price.cachedInputPerMtokUsd()
        : price.inputPerMtokUsd();
    BigDecimal micro = price.inputPerMtokUsd().multiply(BigDecimal.valueOf(usage.inputTokens() - cached))
        .add(cachedPrice.multiply(BigDecimal.valueOf(cached)))
        .add(price.outputPerMtokUsd().multiply(BigDecimal.valueOf(usage.outputTokens())));
    return new Cost(micro.divide(PER_MILLION, COST_SCALE, RoundingMode.HALF_UP), false);
  }

  private static String key(String provider, String model) {
    return provider + '\u0000' + model;
  }
}
