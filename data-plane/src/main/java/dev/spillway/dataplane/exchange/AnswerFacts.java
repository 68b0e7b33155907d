package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.protocol.framing.SseEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * What one attempt's answer says about itself, for its span: the model that answered as the provider names it
 * ({@code gen_ai.response.model}), which may be a dated version of the model asked for, and why each choice stopped
 * ({@code gen_ai.response.finish_reasons}). Kept only while tracing records spans: reading an answer for them costs
 * a parse the request path otherwise avoids. Touched only from the request's event loop.
 *
 * <p>A translated answer is read in the canonical form, so its reasons are OpenAI's words ({@code stop},
 * {@code length}, {@code tool_calls}); a native answer keeps the provider's own ({@code end_turn} from Anthropic).
 * The Responses API names no reason per output: its status stands in
 * ({@link ClientAnswers#responsesFinishReason}).
 */
final class AnswerFacts {
  /** The top-level fields of a native answer that carry the facts, beyond those its usage is read from. */
  static final Set<String> NATIVE_FIELDS = Set.of("model", "choices", "stop_reason", "status", "incomplete_details",
      "output");

  private static final byte[] FINISH_REASON = "\"finish_reason\"".getBytes(StandardCharsets.US_ASCII);

  private final InboundApi api;
  private String model;
  /** By choice index; null where a choice gave no reason. */
  private final List<String> finishReasons = new ArrayList<>(1);

  AnswerFacts(InboundApi api) {
    this.api = api;
  }

  /** The model the provider says answered, or null when it said none. */
  String model() {
    return model;
  }

  /** Why each choice stopped, in choice order; empty when the answer gave no reason. */
  List<String> finishReasons() {
    List<String> reasons = new ArrayList<>(finishReasons.size());
    for (String reason : finishReasons) {
      if (reason != null) {
        reasons.add(reason);
      }
    }
    return reasons;
  }

  /** A canonical chat completion, or one canonical stream chunk: {@code model} and the choices' reasons. */
  void canonical(JsonNode completionOrChunk) {
    model(completionOrChunk.get("model"));
    for (JsonNode choice : completionOrChunk.path("choices")) {
      JsonNode reason = choice.get("finish_reason");
      if (reason != null && reason.isString()) {
        reason(choice.path("index").asInt(0), reason.asString());
      }
    }
  }

  /** A complete answer in the client's own API (the native path), as far as {@link #NATIVE_FIELDS} read it. */
  void nativeAnswer(JsonNode body) {
    switch (api) {
      case ANTHROPIC_MESSAGES -> {
        model(body.get("model"));
        stopReason(body.get("stop_reason"));
      }
      case OPENAI_RESPONSES -> response(body);
      default -> canonical(body);
    }
  }

  /**
   * One event of a native stream. Only the events that carry a fact are parsed: Anthropic's {@code message_start}
   * and {@code message_delta}, the Responses API's last event, and of OpenAI's chunks the first (for the model) and
   * those whose {@code finish_reason} is not null — not the content deltas between.
   */
  void nativeEvent(SseEvent event) {
    String name = event.event();
    switch (api) {
      case ANTHROPIC_MESSAGES -> {
        if ("message_start".equals(name)) {
          model(parse(event).path("message").get("model"));
        } else if ("message_delta".equals(name)) {
          stopReason(parse(event).path("delta").get("stop_reason"));
        }
      }
      case OPENAI_RESPONSES -> {
        if ("response.completed".equals(name) || "response.incomplete".equals(name)
            || "response.failed".equals(name)) {
          response(parse(event).path("response"));
        } else if (model == null && "response.created".equals(name)) {
          model(parse(event).path("response").get("model"));
        }
      }
      default -> {
        byte[] data = event.dataBytes();
        if (data.length > 0 && data[0] == '{' && (model == null || hasFinishReason(data))) {
          canonical(parse(event));
        }
      }
    }
  }

  private void response(JsonNode response) {
    model(response.get("model"));
    String reason = ClientAnswers.responsesFinishReason(response);
    if (reason != null) {
      reason(0, reason);
    }
  }

  private void stopReason(JsonNode reason) {
    if (reason != null && reason.isString()) {
      reason(0, reason.asString());
    }
  }

  private void model(JsonNode name) {
    if (model == null && name != null && name.isString() && !name.asString().isEmpty()) {
      model = name.asString();
    }
  }

  private void reason(int index, String reason) {
    if (index < 0 || index > 127) {
      return; // not a choice index any client asks for: ignored rather than grown into
    }
    while (finishReasons.size() <= index) {
      finishReasons.add(null);
    }
    finishReasons.set(index, reason);
  }

  private static JsonNode parse(SseEvent event) {
    try {
      return Json.parse(event.dataBytes());
    } catch (RuntimeException e) {
      return Json.object(); // an unreadable event is the relay's concern, not the span's
    }
  }

  /** Whether the data has a {@code "finish_reason"} key whose value is not {@code null}, found without parsing. */
  static boolean hasFinishReason(byte[] data) {
    int last = data.length - FINISH_REASON.length;
    outer:
    for (int i = 0; i <= last; i++) {
      for (int j = 0; j < FINISH_REASON.length; j++) {
        if (data[i + j] != FINISH_REASON[j]) {
          continue outer;
        }
      }
      int v = i + FINISH_REASON.length;
      while (v < data.length && (data[v] == ' ' || data[v] == ':' || data[v] == '\t' || data[v] == '\n'
          || data[v] == '\r')) {
        v++;
      }
      if (v < data.length && data[v] != 'n') {
        return true;
      }
      i = v - 1;
    }
    return false;
  }
}
