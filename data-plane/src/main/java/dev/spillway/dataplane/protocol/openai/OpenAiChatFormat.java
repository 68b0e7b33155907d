package dev.spillway.dataplane.protocol.openai;

import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.ClientFormat;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.protocol.Requests;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.protocol.ClientStreamEncoder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code POST /v1/chat/completions}: the canonical form itself. */
public final class OpenAiChatFormat implements ClientFormat {
  @Override
  public InboundApi api() {
    return InboundApi.OPENAI_CHAT;
  }

  @Override
  public ChatCall parse(ObjectNode body) {
    String model = Requests.requireModel(body);
    JsonNode messages = body.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw GatewayError.INVALID_REQUEST.exception("messages: must be a non-empty array", "messages");
    }
    for (int i = 0; i < messages.size(); i++) {
      JsonNode message = messages.get(i);
      if (!message.isObject() || !message.path("role").isString()) {
        throw GatewayError.INVALID_REQUEST.exception("messages[" + i + "]: must be an object with a role",
            "messages[" + i + "]");
      }
    }
    boolean stream = Requests.optionalBoolean(body, "stream");
    boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
    // The canonical form is the request itself: no copy on the hot path.
    return new ChatCall(api(), body, body, stream, includeUsage, model);
  }

  @Override
  public ObjectNode encodeResponse(ObjectNode completion, ChatCall call) {
    return completion;
  }

  @Override
  public ClientStreamEncoder newStreamEncoder(ChatCall call) {
    return new OpenAiChatStreamEncoder(call.includeUsage(), null);
  }
}
