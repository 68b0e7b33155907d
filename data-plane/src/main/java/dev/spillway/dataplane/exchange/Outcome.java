package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.usage.Usage;

/**
 * How one exchange ended, for the settle stage.
 *
 * @param request      the request as admitted
 * @param reservation  what admission reserved for it (to be released now)
 * @param servedBy     the target whose answer reached the client, or null (no answer, or one the node gave itself)
 * @param attempts     upstream attempts started, retries and fallbacks included
 * @param usage        the tokens the provider reported (so far, for a stream cut short), or {@link Usage#NONE}
 * @param error        the error the request ended with, or null for a complete answer
 * @param clientClosed whether the client went away before the answer was complete
 */
public record Outcome(ExchangeRequest request, Admission.Reservation reservation, RouteTable.Target servedBy,
    int attempts, Usage usage, GatewayError error, boolean clientClosed) {}
