package dev.spillway.dataplane.upstream;

import io.netty.channel.EventLoop;

/** Where provider requests go: the network ({@link UpstreamClient}) or an in-process fake ({@code mock}). */
public interface Upstream {
  /** Starts {@code request} on {@code loop}; takes ownership of the request body. */
  UpstreamCall call(EventLoop loop, UpstreamRequest request, UpstreamListener listener);
}
