package dev.spillway.dataplane.provider;

import dev.spillway.config.TimeoutsConfig;
import dev.spillway.dataplane.upstream.UpstreamRequest;

/** A provider's timeouts with the node's defaults filling what it leaves at 0. */
public final class Timeouts {
  private Timeouts() {}

  public static UpstreamRequest.Timeouts of(ProviderRuntime provider, UpstreamRequest.Timeouts defaults) {
    TimeoutsConfig configured = provider.config().timeouts();
    if (configured == null) {
      return defaults;
    }
    return new UpstreamRequest.Timeouts(
        configured.connectMs() > 0 ? configured.connectMs() : defaults.connectMs(),
        configured.firstByteMs() > 0 ? configured.firstByteMs() : defaults.firstByteMs(),
        configured.idleMs() > 0 ? configured.idleMs() : defaults.idleMs(),
        configured.totalMs() > 0 ? configured.totalMs() : defaults.totalMs());
  }
}
