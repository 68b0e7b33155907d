package dev.spillway.dataplane.tracing;

import dev.spillway.dataplane.metrics.RequestObserver;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.upstream.UpstreamRequest;

/** Tracing off: the client's trace context goes to every attempt as the client sent it. */
record PassThrough(String traceparent, String tracestate) implements RequestTrace {
  @Override
  public void attemptStarted(RouteTable.Target target, RequestObserver.Attempt kind, UpstreamRequest request) {
    request.headers().set(Tracing.TRACEPARENT, traceparent);
    if (tracestate != null) {
      request.headers().set(Tracing.TRACESTATE, tracestate);
    }
  }
}
