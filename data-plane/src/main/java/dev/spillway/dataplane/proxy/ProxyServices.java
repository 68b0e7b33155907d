package dev.spillway.dataplane.proxy;

import dev.spillway.dataplane.provider.OpenAiChatAdapter;
import dev.spillway.dataplane.upstream.Upstream;

/** What a proxied request needs besides its config: the adapter and the two transports. */
public record ProxyServices(OpenAiChatAdapter adapter, Upstream network, Upstream mock) {}
