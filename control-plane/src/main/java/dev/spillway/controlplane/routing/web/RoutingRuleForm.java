package dev.spillway.controlplane.routing.web;

import dev.spillway.controlplane.common.ApiException;
import dev.spillway.controlplane.dashboard.Forms;
import dev.spillway.controlplane.routing.RoutingRuleRequest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dashboard's routing-rule form: conditions as text, one {@code name=value} per line for key metadata and
 * {@code name: value} per line for headers; empty fields are no condition.
 */
public record RoutingRuleForm(String name, String priority, String teamId, String keyMetadata, String headers,
    String model, String route) {

  public static RoutingRuleForm empty() {
    return new RoutingRuleForm("", "0", "", "", "", "", "");
  }

  public RoutingRuleRequest toRequest() {
    return new RoutingRuleRequest(Forms.text(name), Forms.integer("priority", priority),
        new RoutingRuleRequest.MatchBody(Forms.text(teamId), lines("match.key_metadata", keyMetadata, '='),
            lines("match.headers", headers, ':'), Forms.text(model)), Forms.text(route));
  }

  private static Map<String, Object> lines(String field, String text, char separator) {
    Map<String, Object> entries = new LinkedHashMap<>();
    if (text == null) {
      return entries;
    }
    for (String line : text.split("\\R")) {
      if (line.isBlank()) {
        continue;
      }
      int at = line.indexOf(separator);
      if (at <= 0) {
        throw ApiException.invalid(field, "write one name" + separator + "value per line (got '" + line.strip()
            + "')");
      }
      entries.put(line.substring(0, at).strip(), line.substring(at + 1).strip());
    }
    return entries;
  }
}
