package dev.spillway.dataplane.protocol.anthropic;

import dev.spillway.dataplane.protocol.canonical.CanonicalExtensions;
import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.ClientFormat;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.protocol.ClientStreamEncoder;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /v1/messages}: the Anthropic Messages API. An {@code anthropic} provider gets the client's body as it
 * is (with the client's {@code anthropic-version} and {@code anthropic-beta}); every other provider gets the
 * canonical translation, and its answer comes back as an Anthropic message or Anthropic's stream events. Streams
 * always carry usage, as Anthropic's do.
 */
public final class AnthropicMessagesFormat implements ClientFormat {
  @Override
  public InboundApi api() {
    return InboundApi.ANTHROPIC_MESSAGES;
  }

  @Override
  public ChatCall parse(ObjectNode body) {
    return parse(body, null);
  }

  @Override
  public ChatCall parse(ObjectNode body, HttpHeaders headers) {
    ObjectNode canonical = AnthropicToCanonical.translate(body, true);
    forwardHeaders(canonical, headers);
    boolean stream = canonical.path("stream").asBoolean(false);
    return new ChatCall(api(), body, canonical, stream, true, canonical.path("model").asString());
  }

  /**
   * The call behind {@code POST /v1/messages/count_tokens}: the same request without {@code max_tokens}. Not a
   * generation; the token counter uses its canonical form to estimate, or passes the original to Anthropic.
   */
  public static ChatCall countTokensCall(ObjectNode body, HttpHeaders headers) {
    ObjectNode canonical = AnthropicToCanonical.translate(body, false);
    canonical.remove("stream");
    forwardHeaders(canonical, headers);
    return new ChatCall(InboundApi.ANTHROPIC_COUNT_TOKENS, body, canonical, false, false,
        canonical.path("model").asString());
  }

  @Override
  public ObjectNode encodeResponse(ObjectNode completion, ChatCall call) {
    return AnthropicMessageEncoder.encode(completion, call.requestedModel());
  }

  @Override
  public ClientStreamEncoder newStreamEncoder(ChatCall call) {
    return new AnthropicStreamEncoder(call.requestedModel());
  }

  /** The client's API version and beta flags, for a provider that speaks the same API. */
  private static void forwardHeaders(ObjectNode canonical, HttpHeaders headers) {
    if (headers == null) {
      return;
    }
    String version = headers.get("anthropic-version");
    if (version != null && !version.isBlank()) {
      canonical.put(CanonicalExtensions.ANTHROPIC_VERSION, version.strip());
    }
    List<String> betas = headers.getAll("anthropic-beta");
    if (!betas.isEmpty()) {
      ArrayNode out = canonical.putArray(CanonicalExtensions.ANTHROPIC_BETA);
      for (String header : betas) {
        for (String beta : header.split(",")) {
          if (!beta.isBlank()) {
            out.add(beta.strip());
          }
        }
      }
    }
  }
}
