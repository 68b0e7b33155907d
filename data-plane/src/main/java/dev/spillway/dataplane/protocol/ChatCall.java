package dev.spillway.dataplane.protocol;

import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One generation request in both of its forms.
 *
 * <p>{@code canonical} is an OpenAI Chat Completions request: the lingua franca every adapter translates from.
 * Fields that chat completions cannot express travel as {@code x_spillway_*} extension fields (documented in
 * docs/providers.md) so that, for example, Anthropic thinking survives a trip through Bedrock. {@code original}
 * is the client's own body, sent unchanged (but for {@code model}) to a provider that speaks the same API.
 *
 * @param api            the API the client called
 * @param original       the client's request body as received
 * @param canonical      the same request as an OpenAI chat completion request
 * @param stream         whether the client asked for a stream
 * @param includeUsage   whether the client wants usage in the stream (OpenAI {@code stream_options.include_usage};
 *                       always true for APIs whose streams always carry usage)
 * @param requestedModel the {@code model} the client sent (route name or provider/model)
 */
public record ChatCall(
    InboundApi api,
    ObjectNode original,
    ObjectNode canonical,
    boolean stream,
    boolean includeUsage,
    String requestedModel) {

  /**
   * Canonical extension naming why the call can only be passed through natively (e.g. a Responses API
   * {@code previous_response_id}); a target that would need translation answers 400 with this reason.
   */
  public static final String NATIVE_ONLY = "x_spillway_native_only";

  public ChatCall {
    Objects.requireNonNull(api, "api");
    Objects.requireNonNull(original, "original");
    Objects.requireNonNull(canonical, "canonical");
    Objects.requireNonNull(requestedModel, "requestedModel");
  }

  /** Why this call cannot be translated for a provider that does not speak its API, or null when it can be. */
  public String nativeOnlyReason() {
    JsonNode reason = canonical.get(NATIVE_ONLY);
    return reason != null && reason.isString() ? reason.asString() : null;
  }
}
