package dev.spillway.controlplane.price;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

public interface PriceRepository {
  List<BuiltinPrice> builtins();

  /** Replaces the shipped table with {@code prices}. */
  void replaceBuiltins(List<BuiltinPrice> prices);

  /** Every effective price of every provider (or of one provider), sorted by provider and model. */
  List<EffectivePrice> effective(UUID providerId);

  Optional<EffectivePrice> override(UUID providerId, String model);

  void putOverride(UUID providerId, String model, java.math.BigDecimal input, java.math.BigDecimal output,
      java.math.BigDecimal cachedInput);

  void deleteOverride(UUID providerId, String model);

  void deleteOverridesOf(UUID providerId);

  /** Deletes the price overrides of every provider of the organisation. */
  void deleteAllOverrides();
}
