package dev.spillway.controlplane.price;

import java.math.BigDecimal;

/** One row of the shipped price table (USD per million tokens) for a provider type and upstream model. */
public record BuiltinPrice(String providerType, String model, BigDecimal inputPerMtokUsd,
    BigDecimal outputPerMtokUsd, BigDecimal cachedInputPerMtokUsd) {}
