package dev.spillway.controlplane.common;

import java.util.Set;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Applies a merge patch to a resource's current request form and reads it back as the full request, so PATCH
 * goes through exactly the same validation as create.
 */
@Component
public class Patches {
  private final JsonMapper json;

  public Patches(JsonMapper json) {
    this.json = json;
  }

  public <T> T merge(Object currentRequest, JsonNode patch, Class<T> type, Set<String> readOnlyFields) {
    if (patch == null || !patch.isObject()) {
      throw ApiException.invalid("body", "must be a JSON object");
    }
    for (String field : readOnlyFields) {
      if (patch.has(field)) {
        throw ApiException.invalid(field, "cannot be changed");
      }
    }
    JsonNode current = json.valueToTree(currentRequest);
    ObjectNode merged = (ObjectNode) JsonMergePatch.apply(current, patch);
    try {
      return json.treeToValue(merged, type);
    } catch (DatabindException e) {
      // The full path, as for POST: a PATCH of {"rate_limit": {"rpm": "abc"}} names rate_limit.rpm.
      String field = e.getPath().isEmpty() ? "body" : ApiExceptionHandler.fieldPath(e);
      throw ApiException.invalid(field, "has the wrong type or format");
    } catch (JacksonException e) {
      throw ApiException.invalid("body", "is not valid");
    }
  }
}
