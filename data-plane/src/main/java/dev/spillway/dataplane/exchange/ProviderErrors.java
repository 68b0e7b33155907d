package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.json.Json;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import tools.jackson.databind.JsonNode;

/** What a provider's error answer says, for the client's error message. */
final class ProviderErrors {
  private static final int MAX_PROVIDER_MESSAGE = 1000;

  private ProviderErrors() {}

  /** The provider's own error message (OpenAI, Anthropic, Gemini, Bedrock shapes), or its raw body, shortened. */
  static String message(ByteBuf body) {
    if (body == null || !body.isReadable()) {
      return "(empty body)";
    }
    String text = body.toString(StandardCharsets.UTF_8);
    try {
      JsonNode json = Json.parse(text.getBytes(StandardCharsets.UTF_8));
      JsonNode message = json.path("error").path("message");
      if (message.isMissingNode() && json.path("error").isString()) {
        message = json.path("error");
      }
      if (message.isMissingNode()) {
        message = json.path("message");
      }
      if (message.isMissingNode()) {
        message = json.path("Message");
      }
      if (message.isString()) {
        text = message.asString();
      }
    } catch (RuntimeException notJson) {
      // keep the raw text
    }
    return text.length() > MAX_PROVIDER_MESSAGE ? text.substring(0, MAX_PROVIDER_MESSAGE) + "…" : text;
  }
}
