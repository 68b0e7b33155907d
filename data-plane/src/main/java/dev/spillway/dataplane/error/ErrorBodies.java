package dev.spillway.dataplane.error;

import dev.spillway.dataplane.json.Json;
import tools.jackson.databind.node.ObjectNode;

/** Error bodies in the shape each client SDK parses: OpenAI's on {@code /v1/*}, Anthropic's on {@code /v1/messages}. */
public final class ErrorBodies {
  private ErrorBodies() {}

  public static byte[] openAi(GatewayError error, String message, String param) {
    ObjectNode root = Json.object();
    ObjectNode body = root.putObject("error");
    body.put("message", message);
    body.put("type", error.openAiType());
    if (param == null) {
      body.putNull("param");
    } else {
      body.put("param", param);
    }
    body.put("code", error.code());
    return Json.bytes(root);
  }

  public static byte[] anthropic(GatewayError error, String message) {
    ObjectNode root = Json.object();
    root.put("type", "error");
    ObjectNode body = root.putObject("error");
    body.put("type", error.anthropicType());
    body.put("message", message);
    return Json.bytes(root);
  }

  /** The same error as one SSE event, for streams that already started. */
  public static String openAiStreamEvent(GatewayError error, String message) {
    return "data: " + new String(openAi(error, message, null), java.nio.charset.StandardCharsets.UTF_8) + "\n\n";
  }
}
