package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.auth.VirtualKeyTable;
import dev.spillway.dataplane.config.NodeConfig;
import java.util.Objects;

/**
 * Who is calling, as stage 1 ({@link ExchangePipeline#authenticate}) found out from the request's headers: the virtual
 * key, and the config snapshot it was found in. The rest of the request uses that same snapshot, so a config swap in
 * the middle of a request never mixes two versions.
 */
public record Caller(VirtualKeyTable.Entry key, NodeConfig config) {
  public Caller {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(config, "config");
  }
}
