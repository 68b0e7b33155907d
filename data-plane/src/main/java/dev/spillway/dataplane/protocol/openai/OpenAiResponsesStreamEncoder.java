package dev.spillway.dataplane.protocol.openai;

import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.ClientStreamEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Canonical chat chunks to a Responses API event stream, as OpenAI sends it: {@code response.created},
 * {@code response.in_progress}, then per output item {@code response.output_item.added}, for a message
 * {@code response.content_part.added}, {@code response.output_text.delta}…, {@code response.output_text.done},
 * {@code response.content_part.done}, for a function call {@code response.function_call_arguments.delta}…,
 * {@code response.function_call_arguments.done}, then {@code response.output_item.done}, and finally
 * {@code response.completed} (or {@code response.incomplete}) with the whole response and its usage. Every event
 * has an {@code event:} line and a {@code sequence_number} that grows by one. Only the first choice is used: the
 * Responses API has no {@code n}.
 *
 * <p>Items are opened as their first delta arrives and closed, in output order, when the stream ends; chat
 * streams may interleave parallel tool calls, so an item cannot be closed earlier.
 */
final class OpenAiResponsesStreamEncoder implements ClientStreamEncoder {
  private final ChatCall call;
  private final String suffix = OpenAiResponsesFormat.newSuffix();
  private final List<Item> items = new ArrayList<>();
  private final Map<Integer, Item> toolsByIndex = new TreeMap<>();
  private ObjectNode response;
  private int sequence;
  private Item message;
  private String finishReason;
  private JsonNode usage;
  private boolean ended;

  OpenAiResponsesStreamEncoder(ChatCall call) {
    this.call = call;
  }

  /** One output item being streamed. */
  private static final class Item {
    final int outputIndex;
    final String id;
    final boolean isMessage;
    final StringBuilder text = new StringBuilder();
    final StringBuilder refusal = new StringBuilder();
    int textPart = -1;
    int refusalPart = -1;
    int parts;
    String callId;
    String name;

    Item(int outputIndex, String id, boolean isMessage) {
      this.outputIndex = outputIndex;
      this.id = id;
      this.isMessage = isMessage;
    }
  }

  @Override
  public void onChunk(ObjectNode chunk, StringBuilder out) {
    start(chunk, out);
    JsonNode reported = chunk.get("usage");
    if (reported != null && reported.isObject()) {
      usage = reported;
    }
    JsonNode choice = firstChoice(chunk);
    if (choice == null) {
      return;
    }
    JsonNode delta = choice.path("delta");
    JsonNode content = delta.get("content");
    if (content != null && content.isString() && !content.asString().isEmpty()) {
      textDelta(content.asString(), out);
    }
    JsonNode refusal = delta.get("refusal");
    if (refusal != null && refusal.isString() && !refusal.asString().isEmpty()) {
      refusalDelta(refusal.asString(), out);
    }
    JsonNode toolCalls = delta.path("tool_calls");
    for (JsonNode toolCall : toolCalls) {
      toolDelta(toolCall, out);
    }
    JsonNode finish = choice.get("finish_reason");
    if (finish != null && finish.isString()) {
      finishReason = finish.asString();
    }
  }

  private static JsonNode firstChoice(ObjectNode chunk) {
    for (JsonNode choice : chunk.path("choices")) {
      if (choice.path("index").asInt(0) == 0) {
        return choice;
      }
    }
    return null;
  }

  private void start(ObjectNode chunk, StringBuilder out) {
    if (response != null) {
      return;
    }
    response = OpenAiResponsesFormat.skeleton("resp_" + suffix,
        chunk == null ? OpenAiResponsesFormat.nowSeconds() : chunk.path("created").asLong(OpenAiResponsesFormat.nowSeconds()),
        chunk == null ? call.requestedModel() : chunk.path("model").asString(call.requestedModel()), call.original());
    emit("response.created", Json.object().set("response", response.deepCopy()), out);
    emit("response.in_progress", Json.object().set("response", response.deepCopy()), out);
  }

  private Item openMessage(StringBuilder out) {
    if (message == null) {
      message = new Item(items.size(), "msg_" + suffix, true);
      items.add(message);
      ObjectNode event = Json.object();
      event.put("output_index", message.outputIndex);
      event.set("item", OpenAiResponsesFormat.messageItem(message.id, "in_progress"));
      emit("response.output_item.added", event, out);
    }
    return message;
  }

  private void textDelta(String text, StringBuilder out) {
    Item item = openMessage(out);
    if (item.textPart < 0) {
      item.textPart = item.parts++;
      emit("response.content_part.added", partEvent(item, item.textPart)
          .set("part", OpenAiResponsesFormat.outputText("")), out);
    }
    item.text.append(text);
    ObjectNode event = partEvent(item, item.textPart);
    event.put("delta", text);
    event.putArray("logprobs");
    emit("response.output_text.delta", event, out);
  }

  private void refusalDelta(String text, StringBuilder out) {
    Item item = openMessage(out);
    if (item.refusalPart < 0) {
      item.refusalPart = item.parts++;
      emit("response.content_part.added", partEvent(item, item.refusalPart)
          .set("part", refusalPart("")), out);
    }
    item.refusal.append(text);
    emit("response.refusal.delta", partEvent(item, item.refusalPart).put("delta", text), out);
  }

  private void toolDelta(JsonNode toolCall, StringBuilder out) {
    int index = toolCall.path("index").asInt(0);
    Item item = toolsByIndex.get(index);
    JsonNode function = toolCall.path("function");
    if (item == null) {
      item = new Item(items.size(), "fc_" + suffix + "_" + index, false);
      item.callId = toolCall.path("id").asString("call_" + suffix + "_" + index);
      item.name = function.path("name").asString("");
      items.add(item);
      toolsByIndex.put(index, item);
      ObjectNode event = Json.object();
      event.put("output_index", item.outputIndex);
      event.set("item", OpenAiResponsesFormat.functionCallItem(item.id, item.callId, item.name, "",
          "in_progress"));
      emit("response.output_item.added", event, out);
    }
    JsonNode arguments = function.get("arguments");
    if (arguments != null && arguments.isString() && !arguments.asString().isEmpty()) {
      item.text.append(arguments.asString());
      ObjectNode event = Json.object();
      event.put("item_id", item.id);
      event.put("output_index", item.outputIndex);
      event.put("delta", arguments.asString());
      emit("response.function_call_arguments.delta", event, out);
    }
  }

  @Override
  public void onEnd(StringBuilder out) {
    if (ended) {
      return;
    }
    ended = true;
    start(null, out);
    ArrayNode output = Json.array();
    for (Item item : items) {
      output.add(close(item, out));
    }
    response.set("output", output);
    OpenAiResponsesFormat.finish(response, finishReason == null ? "stop" : finishReason, usage);
    String type = "incomplete".equals(response.path("status").asString("")) ? "response.incomplete"
        : "response.completed";
    emit(type, Json.object().set("response", response), out);
  }

  /** Emits the done events of one item and returns the item as it ends up in the response's output. */
  private ObjectNode close(Item item, StringBuilder out) {
    ObjectNode done;
    if (item.isMessage) {
      done = OpenAiResponsesFormat.messageItem(item.id, "completed");
      ArrayNode content = (ArrayNode) done.get("content");
      List<ObjectNode> parts = new ArrayList<>();
      if (item.textPart >= 0) {
        String text = item.text.toString();
        ObjectNode event = partEvent(item, item.textPart);
        event.put("text", text);
        event.putArray("logprobs");
        emit("response.output_text.done", event, out);
        ObjectNode part = OpenAiResponsesFormat.outputText(text);
        emit("response.content_part.done", partEvent(item, item.textPart).set("part", part), out);
        parts.add(part);
      }
      if (item.refusalPart >= 0) {
        String refusal = item.refusal.toString();
        emit("response.refusal.done", partEvent(item, item.refusalPart).put("refusal", refusal), out);
        ObjectNode part = refusalPart(refusal);
        emit("response.content_part.done", partEvent(item, item.refusalPart).set("part", part), out);
        parts.add(part);
      }
      if (item.refusalPart >= 0 && item.refusalPart < item.textPart) {
        parts.add(parts.remove(0));
      }
      parts.forEach(content::add);
    } else {
      String arguments = item.text.toString();
      ObjectNode event = Json.object();
      event.put("item_id", item.id);
      event.put("output_index", item.outputIndex);
      event.put("name", item.name);
      event.put("arguments", arguments);
      emit("response.function_call_arguments.done", event, out);
      done = OpenAiResponsesFormat.functionCallItem(item.id, item.callId, item.name, arguments, "completed");
    }
    ObjectNode event = Json.object();
    event.put("output_index", item.outputIndex);
    event.set("item", done);
    emit("response.output_item.done", event, out);
    return done;
  }

  @Override
  public void onError(GatewayError error, String message, StringBuilder out) {
    if (ended) {
      return;
    }
    ended = true;
    ObjectNode event = Json.object();
    event.put("code", error.code());
    event.put("message", message);
    event.putNull("param");
    emit("error", event, out);
  }

  private static ObjectNode partEvent(Item item, int contentIndex) {
    ObjectNode event = Json.object();
    event.put("item_id", item.id);
    event.put("output_index", item.outputIndex);
    event.put("content_index", contentIndex);
    return event;
  }

  private static ObjectNode refusalPart(String refusal) {
    return Json.object().put("type", "refusal").put("refusal", refusal);
  }

  /** One SSE event: {@code type} first in the payload, as OpenAI writes it, then the fields, then the number. */
  private void emit(String type, ObjectNode fields, StringBuilder out) {
    ObjectNode event = Json.object();
    event.put("type", type);
    event.setAll(fields);
    event.put("sequence_number", sequence++);
    out.append("event: ").append(type).append("\ndata: ").append(Json.mapper().writeValueAsString(event))
        .append("\n\n");
  }
}
