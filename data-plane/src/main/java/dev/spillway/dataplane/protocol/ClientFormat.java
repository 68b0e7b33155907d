package dev.spillway.dataplane.protocol;

import io.netty.handler.codec.http.HttpHeaders;
import tools.jackson.databind.node.ObjectNode;

/**
 * One client-facing generation API: how its requests become a {@link ChatCall}, and how a canonical answer (an
 * OpenAI chat completion, or a stream of chat completion chunks) is written back in its shape.
 */
public interface ClientFormat {
  InboundApi api();

  /** Validates the body and builds the call; throws a 400 {@code GatewayException} naming the field at fault. */
  ChatCall parse(ObjectNode body);

  /**
   * The same with the request's headers, for APIs whose headers shape the call (Anthropic's
   * {@code anthropic-version} and {@code anthropic-beta}); the node calls this one.
   */
  default ChatCall parse(ObjectNode body, HttpHeaders headers) {
    return parse(body);
  }

  /** The complete answer in this API's shape, from a canonical {@code chat.completion}. */
  ObjectNode encodeResponse(ObjectNode completion, ChatCall call);

  /** A fresh encoder for one stream. */
  ClientStreamEncoder newStreamEncoder(ChatCall call);
}
