package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.InboundApi;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A complete answer of an API the canonical form does not read back (completions, the Responses API), as the request
 * log keeps it ({@link CapturedAnswer#clientAnswer}), read as a canonical chat completion: its choices' text, tool
 * calls and finish reasons, for what a span shows of the answer. Not a translation for clients: fields the spans do
 * not show are left out. Parses: call off the event loop.
 */
final class ClientAnswers {
  private ClientAnswers() {}

  /** The answer as a canonical completion, or null when it is not one of these APIs or not readable. */
  static ObjectNode canonical(InboundApi api, byte[] answer) {
    if (answer == null) {
      return null;
    }
    JsonNode body;
    try {
      body = Json.parse(answer);
    } catch (RuntimeException e) {
      return null;
    }
    return switch (api) {
      case OPENAI_COMPLETIONS -> completions(body);
      case OPENAI_RESPONSES -> responses(body);
      default -> null;
    };
  }

  private static ObjectNode completions(JsonNode body) {
    ObjectNode completion = Json.object();
    ArrayNode choices = completion.putArray("choices");
    for (JsonNode choice : body.path("choices")) {
      ObjectNode out = choices.addObject().put("index", choice.path("index").asInt(0));
      out.putObject("message").put("role", "assistant").put("content", choice.path("text").asString(""));
      copyReason(choice.get("finish_reason"), out);
    }
    return completion;
  }

  /** Output messages' text joined, function calls as tool calls; the status stands in for a finish reason. */
  private static ObjectNode responses(JsonNode body) {
    ObjectNode completion = Json.object();
    ObjectNode choice = completion.putArray("choices").addObject().put("index", 0);
    ObjectNode message = choice.putObject("message").put("role", "assistant");
    StringBuilder text = new StringBuilder();
    ArrayNode calls = null;
    for (JsonNode item : body.path("output")) {
      switch (item.path("type").asString("")) {
        case "message" -> {
          for (JsonNode part : item.path("content")) {
            if ("output_text".equals(part.path("type").asString(""))) {
              text.append(part.path("text").asString(""));
            }
          }
        }
        case "function_call" -> {
          if (calls == null) {
            calls = message.putArray("tool_calls");
          }
          ObjectNode call = calls.addObject().put("id", item.path("call_id").asString("")).put("type", "function");
          call.putObject("function").put("name", item.path("name").asString(""))
              .put("arguments", item.path("arguments").asString(""));
        }
        default -> { } // reasoning and built-in tool items: not conversation text
      }
    }
    message.put("content", text.toString());
    String reason = responsesFinishReason(body);
    if (reason != null) {
      choice.put("finish_reason", reason);
    }
    return completion;
  }

  /**
   * What stands in for a finish reason in a Responses answer, which names none: its status ({@code completed} is
   * {@code stop}, or {@code tool_calls} when it ends in function calls; an incomplete answer gives its
   * {@code incomplete_details.reason}; {@code failed} is {@code error}), or null for any other status.
   */
  static String responsesFinishReason(JsonNode response) {
    return switch (response.path("status").asString("")) {
      case "completed" -> callsFunctions(response) ? "tool_calls" : "stop";
      case "incomplete" -> response.path("incomplete_details").path("reason").asString("incomplete");
      case "failed" -> "error";
      default -> null;
    };
  }

  private static boolean callsFunctions(JsonNode response) {
    for (JsonNode item : response.path("output")) {
      if ("function_call".equals(item.path("type").asString(""))) {
        return true;
      }
    }
    return false;
  }

  private static void copyReason(JsonNode reason, ObjectNode choice) {
    if (reason != null && reason.isString()) {
      choice.put("finish_reason", reason.asString());
    }
  }
}
