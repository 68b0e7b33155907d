package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.metrics.Endpoint;
import dev.spillway.dataplane.protocol.ClientFormat;
import dev.spillway.dataplane.protocol.anthropic.AnthropicMessagesFormat;
import dev.spillway.dataplane.protocol.openai.OpenAiChatFormat;
import dev.spillway.dataplane.protocol.openai.OpenAiCompletionsFormat;
import dev.spillway.dataplane.protocol.openai.OpenAiResponsesFormat;
import java.util.EnumMap;
import java.util.Map;

/** Every generation API the node serves, by endpoint. Add a format here to serve a new API. */
final class ClientFormats {
  private ClientFormats() {}

  static Map<Endpoint, ClientFormat> byEndpoint() {
    Map<Endpoint, ClientFormat> formats = new EnumMap<>(Endpoint.class);
    formats.put(Endpoint.CHAT_COMPLETIONS, new OpenAiChatFormat());
    formats.put(Endpoint.MESSAGES, new AnthropicMessagesFormat());
    formats.put(Endpoint.RESPONSES, new OpenAiResponsesFormat());
    formats.put(Endpoint.COMPLETIONS, new OpenAiCompletionsFormat());
    return formats;
  }
}
