package dev.spillway.dataplane.protocol;

import dev.spillway.dataplane.error.GatewayError;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Field checks shared by the client formats; each failure is a 400 naming the field. */
public final class Requests {
  private Requests() {}

  public static String requireModel(ObjectNode body) {
    JsonNode model = body.get("model");
    if (model == null || model.isNull()) {
      throw GatewayError.INVALID_REQUEST.exception("model: is required", "model");
    }
    if (!model.isString() || model.asString().isBlank()) {
      throw GatewayError.INVALID_REQUEST.exception("model: must be a non-empty string", "model");
    }
    return model.asString();
  }

  public static boolean optionalBoolean(ObjectNode body, String field) {
    JsonNode value = body.get(field);
    if (value == null || value.isNull()) {
      return false;
    }
    if (!value.isBoolean()) {
      throw GatewayError.INVALID_REQUEST.exception(field + ": must be true or false", field);
    }
    return value.asBoolean();
  }
}
