package dev.spillway.controlplane.provider;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

public interface ProviderRepository {
  Optional<Provider> findById(UUID id);

  Optional<Provider> findByName(String name);

  List<Provider> findAll();

  void save(Provider provider);

  void delete(UUID id);

  /**
   * Makes these the organisation's providers, as a restore does: the others are deleted (with their keys and price
   * overrides), these are inserted or updated like {@link #save}; names may move from one of them to another. No
   * route may still name a provider that goes.
   */
  void replaceAll(List<Provider> providers);

  /** Models of the routes that use this provider as a target or fallback. */
  List<String> routesUsing(UUID providerId);

  /** The upstream models that routes send to this provider, as targets or fallbacks (unsorted, may repeat). */
  List<String> modelsRoutedTo(UUID providerId);
}
