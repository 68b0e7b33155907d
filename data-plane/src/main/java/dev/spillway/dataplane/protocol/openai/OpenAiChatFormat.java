package dev.spillway.dataplane.protocol.openai;

import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.ClientFormat;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.protocol.Requests;
import dev.spillway.dataplane.protocol.ClientStreamEncoder;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /v1/chat/completions}: the canonical form itself. The request is checked as OpenAI documents it
 * ({@link OpenAiRequestChecks}) before any provider sees it, native or translated.
 */
public final class OpenAiChatFormat implements ClientFormat {
  @Override
  public InboundApi api() {
    return InboundApi.OPENAI_CHAT;
  }

  @Override
  public ChatCall parse(ObjectNode body) {
    String model = Requests.requireModel(body);
    OpenAiRequestChecks.chat(body);
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
