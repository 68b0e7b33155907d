package dev.spillway.dataplane.tracing;

import dev.spillway.config.LoggingConfig;
import java.util.Objects;
import java.util.function.Supplier;
import tools.jackson.databind.JsonNode;

/**
 * A settled chat request's content, for its serving attempt's span: given only when the request's content policy
 * keeps content ({@code redacted} or {@code full}), read only off the event loop.
 *
 * @param policy  the content policy of the request's key and team, whose redaction applies
 * @param request the request as a canonical chat (OpenAI chat completions), no longer changed by anyone
 * @param answer  the answer as a canonical chat completion, or null when it cannot be read back; parses, so it is
 *                called off the event loop
 */
public record SpanContent(LoggingConfig policy, JsonNode request, Supplier<? extends JsonNode> answer) {
  public SpanContent {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(answer, "answer");
  }

  /** Says that there is content, never what it is. */
  @Override
  public String toString() {
    return "SpanContent[policy=" + policy.content().wireName() + "]";
  }
}
