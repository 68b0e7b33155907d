package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.metrics.Endpoint;
import dev.spillway.dataplane.routing.RouteTable;
import java.util.Objects;
import tools.jackson.databind.node.ObjectNode;

/**
 * A request once it is parsed and its model resolved: what the admit, cache and settle stages see.
 *
 * @param requestId the request id ({@code x-request-id})
 * @param caller    the authenticated virtual key and the config snapshot the request runs on
 * @param endpoint  the endpoint called
 * @param plan      the targets the route stage may try, in order
 * @param canonical the request in its canonical form (an OpenAI chat completions or embeddings request); read only
 * @param stream    whether the client asked for a streamed answer
 * @param bodyBytes the size of the request's body, for estimates that must not parse it again
 * @param client    what the request log keeps of the client's request
 */
public record ExchangeRequest(String requestId, Caller caller, Endpoint endpoint, RouteTable.Plan plan,
    ObjectNode canonical, boolean stream, int bodyBytes, ClientRequest client) {
  public ExchangeRequest {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(caller, "caller");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(canonical, "canonical");
    Objects.requireNonNull(client, "client");
  }

  /**
   * What the request log keeps of the client's request, beyond what the exchange needs.
   *
   * @param userAgent the client's {@code User-Agent}, or null
   * @param replayOf  the logged request this one replays ({@code x-spillway-replay-of}, set by the control plane's
   *                  replay), or null
   * @param body      a copy of the request's body when the key's content policy keeps content, else null (never
   *                  written to)
   */
  public record ClientRequest(String userAgent, String replayOf, byte[] body) {
    public static final ClientRequest NONE = new ClientRequest(null, null, null);
  }
}
