package dev.spillway.controlplane.requestlog;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/**
 * A stored request and its answer as a conversation: the text of each turn with its role, in order, for the chat
 * bubbles of the dashboard. Reads the shapes of every client API (OpenAI chat, completions and responses, Anthropic
 * messages and token counting, embeddings). Text only: what is not text (an image, a tool call's arguments) is named
 * in brackets, never rendered.
 */
public final class Conversation {
  /** One turn: {@code system}, {@code user}, {@code assistant} or {@code tool}. */
  public record Turn(String role, String text) {}

  private Conversation() {}

  /** The turns of the request, then those of the answer; empty when nothing readable was stored. */
  public static List<Turn> of(String clientApi, JsonNode request, JsonNode response) {
    List<Turn> turns = new ArrayList<>();
    String api = clientApi == null ? "" : clientApi;
    if (request != null && request.isObject()) {
      switch (api) {
        case "messages", "count_tokens" -> anthropicRequest(request, turns);
        case "completions" -> prompt(request.get("prompt"), turns);
        case "embeddings" -> prompt(request.get("input"), turns);
        case "responses" -> responsesRequest(request, turns);
        default -> chatRequest(request, turns);
      }
    }
    if (response != null && response.isObject()) {
      switch (api) {
        case "messages" -> add(turns, role(response, "assistant"), blocks(response.get("content")));
        case "completions" -> {
          for (JsonNode choice : response.path("choices")) {
            add(turns, "assistant", choice.path("text").asString(""));
          }
        }
        case "responses" -> responsesOutput(response, turns);
        case "embeddings", "count_tokens" -> { /* numbers, not a conversation */ }
        default -> {
          for (JsonNode choice : response.path("choices")) {
            JsonNode message = choice.path("message");
            add(turns, role(message, "assistant"), openAiMessage(message));
          }
        }
      }
    }
    return List.copyOf(turns);
  }

  private static void chatRequest(JsonNode request, List<Turn> turns) {
    for (JsonNode message : request.path("messages")) {
      add(turns, role(message, "user"), openAiMessage(message));
    }
  }

  private static void anthropicRequest(JsonNode request, List<Turn> turns) {
    JsonNode system = request.get("system");
    if (system != null && !system.isNull()) {
      add(turns, "system", blocks(system));
    }
    for (JsonNode message : request.path("messages")) {
      add(turns, role(message, "user"), blocks(message.get("content")));
    }
  }

  private static void responsesRequest(JsonNode request, List<Turn> turns) {
    JsonNode instructions = request.get("instructions");
    if (instructions != null && instructions.isString()) {
      add(turns, "system", instructions.asString());
    }
    JsonNode input = request.get("input");
    if (input == null || input.isString()) {
      prompt(input, turns);
      return;
    }
    for (JsonNode item : input) {
      add(turns, role(item, "user"), item.isString() ? item.asString() : blocks(item.get("content")));
    }
  }

  private static void responsesOutput(JsonNode response, List<Turn> turns) {
    for (JsonNode item : response.path("output")) {
      if ("message".equals(item.path("type").asString(""))) {
        add(turns, role(item, "assistant"), blocks(item.get("content")));
      } else if (item.has("type")) {
        add(turns, "assistant", "[" + item.path("type").asString() + "]");
      }
    }
  }

  private static void prompt(JsonNode prompt, List<Turn> turns) {
    if (prompt == null || prompt.isNull()) {
      return;
    }
    if (prompt.isArray()) {
      for (JsonNode p : prompt) {
        add(turns, "user", p.isString() ? p.asString() : "[" + p.getNodeType().name().toLowerCase(Locale.ROOT)
            + "]");
      }
    } else {
      add(turns, "user", prompt.isString() ? prompt.asString() : prompt.toString());
    }
  }

  /** An OpenAI chat message: its content (a string or parts), then any tool calls by name. */
  private static String openAiMessage(JsonNode message) {
    StringBuilder text = new StringBuilder(blocks(message.get("content")));
    for (JsonNode call : message.path("tool_calls")) {
      String name = call.path("function").path("name").asString("?");
      append(text, "[tool call: " + name + "]");
    }
    return text.toString();
  }

  /** A string, or a list of content blocks/parts of any client API, as text. */
  private static String blocks(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isString()) {
      return content.asString();
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode block : content) {
      if (block.isString()) {
        append(text, block.asString());
        continue;
      }
      String type = block.path("type").asString("");
      switch (type) {
        case "text", "input_text", "output_text" -> append(text, block.path("text").asString(""));
        case "tool_use" -> append(text, "[tool call: " + block.path("name").asString("?") + "]");
        case "tool_result" -> {
          String result = blocks(block.get("content"));
          append(text, result.isEmpty() ? "[tool result]" : "[tool result] " + result);
        }
        case "thinking" -> append(text, "[thinking]");
        default -> append(text, "[" + (type.isEmpty() ? "content" : type) + "]");
      }
    }
    return text.toString();
  }

  private static String role(JsonNode message, String otherwise) {
    String role = message.path("role").asString("");
    return switch (role) {
      case "system", "developer" -> "system";
      case "user", "assistant", "tool" -> role;
      case "function" -> "tool";
      default -> otherwise;
    };
  }

  private static void append(StringBuilder text, String part) {
    if (part.isEmpty()) {
      return;
    }
    if (!text.isEmpty()) {
      text.append('\n');
    }
    text.append(part);
  }

  private static void add(List<Turn> turns, String role, String text) {
    if (text != null && !text.isEmpty()) {
      turns.add(new Turn(role, text));
    }
  }
}
