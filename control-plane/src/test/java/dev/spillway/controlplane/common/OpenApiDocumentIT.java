package dev.spillway.controlplane.common;

import static dev.spillway.controlplane.ApiAssertions.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.controlplane.ControlPlaneIntegrationTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import tools.jackson.databind.JsonNode;

/**
 * The OpenAPI document is hand-maintained; this keeps it true: it lists exactly the endpoints the application maps
 * under {@code /api} and {@code /internal}, every reference resolves, and every operation documents its answers.
 */
class OpenApiDocumentIT extends ControlPlaneIntegrationTest {
  private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");

  @Autowired
  @Qualifier("requestMappingHandlerMapping")
  RequestMappingHandlerMapping mappings;

  @Test
  void isServedWithoutAuthenticationAsOpenApi31() {
    JsonNode doc = assertStatus(anonymous().get("/api/v1/openapi.json"), 200);

    assertThat(doc.get("openapi").stringValue()).isEqualTo("3.1.0");
    assertThat(doc.get("info").get("title").stringValue()).isNotBlank();
    assertThat(doc.get("paths").size()).isPositive();
  }

  @Test
  void listsEveryMappedEndpointAndNothingElse() {
    JsonNode doc = assertStatus(anonymous().get("/api/v1/openapi.json"), 200);
    Set<String> documented = new TreeSet<>();
    for (Map.Entry<String, JsonNode> path : doc.get("paths").properties()) {
      for (String method : path.getValue().propertyNames()) {
        if (METHODS.contains(method)) {
          documented.add(method.toUpperCase() + " " + path.getKey());
        }
      }
    }
    Set<String> mapped = new TreeSet<>();
    for (RequestMappingInfo info : mappings.getHandlerMethods().keySet()) {
      for (String pattern : info.getPatternValues()) {
        if (!pattern.startsWith("/api/") && !pattern.startsWith("/internal/")) {
          continue;
        }
        String normalized = pattern.replaceAll("\\{\\*([^}]+)}", "{$1}");
        for (RequestMethod method : info.getMethodsCondition().getMethods()) {
          mapped.add(method.name() + " " + normalized);
        }
      }
    }

    assertThat(mapped).isNotEmpty();
    assertThat(documented).as("documented endpoints").isEqualTo(mapped);
  }

  @Test
  void everyOperationHasResponsesAndEveryReferenceResolves() {
    JsonNode doc = assertStatus(anonymous().get("/api/v1/openapi.json"), 200);
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, JsonNode> path : doc.get("paths").properties()) {
      for (Map.Entry<String, JsonNode> op : path.getValue().properties()) {
        if (!METHODS.contains(op.getKey())) {
          continue;
        }
        JsonNode responses = op.getValue().get("responses");
        if (responses == null || responses.isEmpty()) {
          problems.add(op.getKey() + " " + path.getKey() + " has no responses");
        }
        if (op.getValue().get("summary") == null) {
          problems.add(op.getKey() + " " + path.getKey() + " has no summary");
        }
      }
      for (String param : pathParameters(path.getKey())) {
        if (!path.getValue().toString().contains("\"name\":\"" + param + "\"")) {
          problems.add(path.getKey() + " does not declare path parameter " + param);
        }
      }
    }
    collectRefs(doc, doc, problems);
    assertThat(problems).isEmpty();
  }

  private static List<String> pathParameters(String path) {
    List<String> params = new ArrayList<>();
    var m = java.util.regex.Pattern.compile("\\{([^}]+)}").matcher(path);
    while (m.find()) {
      params.add(m.group(1));
    }
    return params;
  }

  private static void collectRefs(JsonNode root, JsonNode node, List<String> problems) {
    if (node.isObject()) {
      JsonNode ref = node.get("$ref");
      if (ref != null) {
        JsonNode target = root;
        for (String part : ref.stringValue().substring(2).split("/")) {
          target = target == null ? null : target.get(part);
        }
        if (target == null) {
          problems.add("unresolved " + ref.stringValue());
        }
      }
      node.forEach(child -> collectRefs(root, child, problems));
    } else if (node.isArray()) {
      node.forEach(child -> collectRefs(root, child, problems));
    }
  }
}
