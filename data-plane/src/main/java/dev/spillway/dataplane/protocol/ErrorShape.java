package dev.spillway.dataplane.protocol;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.json.Json;
import java.nio.charset.StandardCharsets;
import tools.jackson.databind.node.ObjectNode;

/** The error body shape a client's SDK parses: OpenAI's on {@code /v1/*}, Anthropic's on {@code /v1/messages}. */
public enum ErrorShape {
  /** {@code {"error":{"message":…,"type":…,"param":…,"code":…}}}. */
  OPENAI,
  /** {@code {"type":"error","error":{"type":…,"message":…}}}. */
  ANTHROPIC;

  /** The shape of errors on {@code path}: Anthropic's for the Messages API and its token counting. */
  public static ErrorShape forPath(String path) {
    return path.startsWith("/v1/messages") ? ANTHROPIC : OPENAI;
  }

  /** An error body in this shape; {@code param} (the field at fault, or null) exists in OpenAI's shape only. */
  public byte[] body(GatewayError error, String message, String param) {
    return this == ANTHROPIC ? anthropic(error, message) : openAi(error, message, param);
  }

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

  /** The same error as one SSE event in OpenAI's shape, for streams that already started. */
  public static String openAiStreamEvent(GatewayError error, String message) {
    return "data: " + new String(openAi(error, message, null), StandardCharsets.UTF_8) + "\n\n";
  }
}
