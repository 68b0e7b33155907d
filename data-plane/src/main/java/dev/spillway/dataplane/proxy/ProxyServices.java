package dev.spillway.dataplane.proxy;

import dev.spillway.dataplane.provider.Adapters;
import dev.spillway.dataplane.upstream.Upstream;

/** What a proxied request needs besides its config: the adapters and the two transports. */
public record ProxyServices(Adapters adapters, Upstream network, Upstream mock) {}
