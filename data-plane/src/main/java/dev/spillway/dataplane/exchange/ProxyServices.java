package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.protocol.Adapters;
import dev.spillway.dataplane.upstream.Upstream;

/** What a proxied request needs besides its config: the adapters and the two transports. */
public record ProxyServices(Adapters adapters, Upstream network, Upstream mock) {}
