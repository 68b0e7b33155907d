package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.protocol.ClientFormat;
import dev.spillway.dataplane.protocol.anthropic.AnthropicMessagesFormat;
import dev.spillway.dataplane.protocol.openai.OpenAiChatFormat;
import dev.spillway.dataplane.protocol.openai.OpenAiCompletionsFormat;
import dev.spillway.dataplane.protocol.openai.OpenAiResponsesFormat;
import java.util.HashMap;
import java.util.Map;

/** Every generation API the node serves, by request path. Add a format here to serve a new API. */
public final class ClientFormats {
  private ClientFormats() {}

  public static Map<String, ClientFormat> byPath() {
    Map<String, ClientFormat> formats = new HashMap<>();
    formats.put("/v1/chat/completions", new OpenAiChatFormat());
    formats.put("/v1/messages", new AnthropicMessagesFormat());
    formats.put("/v1/responses", new OpenAiResponsesFormat());
    formats.put("/v1/completions", new OpenAiCompletionsFormat());
    return Map.copyOf(formats);
  }
}
