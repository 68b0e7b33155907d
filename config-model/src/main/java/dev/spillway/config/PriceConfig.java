package dev.spillway.config;

import java.math.BigDecimal;
import java.util.Objects;

/** USD per million tokens for one upstream model of one provider (by provider name). */
public record PriceConfig(
    String provider,
    String model,
    BigDecimal inputPerMtokUsd,
    BigDecimal outputPerMtokUsd,
    BigDecimal cachedInputPerMtokUsd) {

  public PriceConfig {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(model, "model");
    inputPerMtokUsd = normalize(inputPerMtokUsd);
    outputPerMtokUsd = normalize(outputPerMtokUsd);
    cachedInputPerMtokUsd = cachedInputPerMtokUsd == null ? null : normalize(cachedInputPerMtokUsd);
  }

  private static BigDecimal normalize(BigDecimal value) {
    Objects.requireNonNull(value, "price");
    return value.signum() == 0 ? BigDecimal.ZERO : value.stripTrailingZeros();
  }
}
