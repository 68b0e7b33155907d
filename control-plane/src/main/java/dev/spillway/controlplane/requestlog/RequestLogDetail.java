package dev.spillway.controlplane.requestlog;

import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * A logged request with its attempts and, where the content policy stored them, its bodies.
 *
 * @param request  the client's request as stored (after redaction), or null when none was stored; a body the size
 *                 cap cut is no longer JSON and comes back as a JSON string of the text that was kept
 * @param response the answer as the client API answers it non-streamed (for a stream, the assembled final answer)
 */
public record RequestLogDetail(RequestLog record, List<Attempt> attempts, JsonNode request, JsonNode response) {}
