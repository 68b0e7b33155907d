package dev.spillway.dataplane.protocol;

/** The provider itself reported an error inside its stream; the message is the provider's. */
public final class ProviderStreamError extends RuntimeException {
  public ProviderStreamError(String message) {
    super(message, null, false, false);
  }
}
