package dev.spillway.config;

import java.util.Objects;

/**
 * One credential of a provider.
 *
 * @param sealedValue the key value sealed with {@link SealedSecret} under the node key; never plaintext
 */
public record ProviderKeyConfig(String name, int weight, String sealedValue) {
  public ProviderKeyConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(sealedValue, "sealedValue");
  }

  @Override
  public String toString() {
    return "ProviderKeyConfig[name=" + name + ", weight=" + weight + ", sealedValue=<sealed>]";
  }
}
