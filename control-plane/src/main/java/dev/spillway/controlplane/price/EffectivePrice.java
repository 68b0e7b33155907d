package dev.spillway.controlplane.price;

import java.math.BigDecimal;
import java.util.UUID;

/**
 * The price a provider's model is charged at: the admin's override if there is one, else the built-in price of
 * the provider's type.
 *
 * @param source {@code override} or {@code builtin}
 */
public record EffectivePrice(UUID providerId, String provider, String providerType, String model,
    BigDecimal inputPerMtokUsd, BigDecimal outputPerMtokUsd, BigDecimal cachedInputPerMtokUsd, String source) {}
