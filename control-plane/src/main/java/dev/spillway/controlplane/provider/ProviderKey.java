package dev.spillway.controlplane.provider;

/**
 * One credential of a provider.
 *
 * @param valueSealed the value sealed at rest (never the plaintext)
 * @param valueHint   the last four characters, so admins can tell keys apart
 */
public record ProviderKey(String name, int weight, String valueSealed, String valueHint) {
  @Override
  public String toString() {
    return "ProviderKey[name=" + name + ", weight=" + weight + ", value=<sealed>]";
  }
}
