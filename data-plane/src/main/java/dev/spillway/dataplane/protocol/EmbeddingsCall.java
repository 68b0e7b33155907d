package dev.spillway.dataplane.protocol;

import dev.spillway.dataplane.error.GatewayError;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One {@code POST /v1/embeddings} request, checked. The body is OpenAI's embeddings request, which is also the
 * canonical form every adapter translates from.
 *
 * @param original       the client's body
 * @param requestedModel the {@code model} the client sent (route name or provider/model)
 * @param base64         whether the client wants {@code encoding_format: base64} (the OpenAI SDKs' default):
 *                       each embedding as base64 of little-endian float32 values
 * @param tokenInput     whether {@code input} is token ids rather than text; only providers that speak the OpenAI
 *                       embeddings API natively can take them
 */
public record EmbeddingsCall(ObjectNode original, String requestedModel, boolean base64, boolean tokenInput) {
  /** More inputs than OpenAI accepts in one request are refused before any provider sees them. */
  public static final int MAX_INPUTS = 2048;
  /** More dimensions than any embedding model offers; the bound keeps {@code dimensions} a sane integer. */
  public static final int MAX_DIMENSIONS = 65536;

  public EmbeddingsCall {
    Objects.requireNonNull(original, "original");
    Objects.requireNonNull(requestedModel, "requestedModel");
  }

  /** Validates the body; a 400 names the field at fault. */
  public static EmbeddingsCall parse(ObjectNode body) {
    String model = Requests.requireModel(body);
    JsonNode input = body.get("input");
    boolean tokens;
    if (input == null || input.isNull()) {
      throw invalid("input: is required", "input");
    } else if (input.isString()) {
      if (input.asString().isEmpty()) {
        throw invalid("input: must not be empty", "input");
      }
      tokens = false;
    } else if (input.isArray() && !input.isEmpty()) {
      if (input.size() > MAX_INPUTS) {
        throw invalid("input: at most " + MAX_INPUTS + " inputs per request (got " + input.size() + ")", "input");
      }
      tokens = kind(input);
    } else {
      throw invalid("input: must be a string, an array of strings or token arrays", "input");
    }
    JsonNode format = body.get("encoding_format");
    boolean base64 = false;
    if (format != null && !format.isNull()) {
      String value = format.isString() ? format.asString() : "";
      if (!value.equals("float") && !value.equals("base64")) {
        throw invalid("encoding_format: must be float or base64", "encoding_format");
      }
      base64 = value.equals("base64");
    }
    Requests.optionalInteger(body, "dimensions", 1, MAX_DIMENSIONS);
    Requests.optionalString(body, "user");
    return new EmbeddingsCall(body, model, base64, tokens);
  }

  /** True for token arrays ({@code [1,2]} or {@code [[1,2],[3]]}), false for strings; anything else is a 400. */
  private static boolean kind(JsonNode input) {
    if (input.get(0).isString()) {
      for (int i = 0; i < input.size(); i++) {
        if (!input.get(i).isString() || input.get(i).asString().isEmpty()) {
          throw invalid("input[" + i + "]: must be a non-empty string", "input");
        }
      }
      return false;
    }
    for (int i = 0; i < input.size(); i++) {
      JsonNode element = input.get(i);
      boolean ok = element.isIntegralNumber();
      if (element.isArray() && !element.isEmpty()) {
        ok = true;
        for (JsonNode token : element) {
          ok &= token.isIntegralNumber();
        }
      }
      if (!ok) {
        throw invalid("input[" + i + "]: must be a string, a token id or a token array like the other inputs",
            "input");
      }
    }
    return true;
  }

  private static RuntimeException invalid(String message, String param) {
    return GatewayError.INVALID_REQUEST.exception(message, param);
  }
}
