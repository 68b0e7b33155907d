package dev.spillway.dataplane.server;

import dev.spillway.dataplane.error.GatewayException;
import dev.spillway.dataplane.exchange.Caller;
import io.netty.handler.codec.http.FullHttpRequest;

/**
 * A request as {@link RequestReader} hands it to {@link GatewayHandler}: complete, or refused from its head alone.
 *
 * @param request    the request; its content is empty when the request was refused (its body was never kept)
 * @param caller     the authenticated caller for endpoints that need a virtual key, else null
 * @param refusal    why the request was refused from its head (unknown URL, wrong method, not ready, no valid key),
 *                   or null
 * @param bodyUnread whether the client may still be sending a body nobody will read: the connection closes after
 *                   the answer
 */
record InboundRequest(FullHttpRequest request, Caller caller, GatewayException refusal, boolean bodyUnread) {
  void release() {
    request.release();
  }
}
