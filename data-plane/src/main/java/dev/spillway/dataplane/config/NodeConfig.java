package dev.spillway.dataplane.config;

import dev.spillway.config.SnapshotConfig;
import dev.spillway.dataplane.auth.VirtualKeyTable;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.usage.PriceTable;

/**
 * A snapshot compiled into the lookup tables requests use. Immutable; replaced as a whole when a newer snapshot
 * arrives, so a request sees one consistent config from start to end.
 */
public record NodeConfig(long version, String sha256, SnapshotConfig snapshot, VirtualKeyTable keys, RouteTable routes,
    PriceTable prices) {}
