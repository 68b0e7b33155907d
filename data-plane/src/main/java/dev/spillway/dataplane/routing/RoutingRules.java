package dev.spillway.dataplane.routing;

import dev.spillway.config.RoutingRuleConfig;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The snapshot's routing rules, in evaluation order (ascending priority): the first rule whose every condition holds
 * names the route. Conditions are equality on the key's team, the key's metadata and request headers, and a model
 * pattern where {@code *} matches any run of characters; nothing else, so a rule can be read at a glance.
 */
final class RoutingRules {
  private record Rule(String teamId, Map<String, String> keyMetadata, Map<String, String> headers, Pattern model,
      String route) {
    boolean matches(String callerTeam, Map<String, String> callerMetadata, HttpHeaders requestHeaders, String name) {
      if (teamId != null && !teamId.equals(callerTeam)) {
        return false;
      }
      for (Map.Entry<String, String> wanted : keyMetadata.entrySet()) {
        if (!wanted.getValue().equals(callerMetadata.get(wanted.getKey()))) {
          return false;
        }
      }
      for (Map.Entry<String, String> wanted : headers.entrySet()) {
        if (requestHeaders == null || !wanted.getValue().equals(requestHeaders.get(wanted.getKey()))) {
          return false;
        }
      }
      return model == null || model.matcher(name).matches();
    }
  }

  private static final RoutingRules NONE = new RoutingRules(List.of());

  private final List<Rule> rules;

  private RoutingRules(List<Rule> rules) {
    this.rules = rules;
  }

  /** {@code configs} in evaluation order (the snapshot keeps them sorted by priority, then id). */
  static RoutingRules compile(List<RoutingRuleConfig> configs) {
    if (configs.isEmpty()) {
      return NONE;
    }
    return new RoutingRules(configs.stream().map(c -> new Rule(c.teamId(), c.keyMetadata(), c.headers(),
        c.modelPattern() == null ? null : glob(c.modelPattern()), c.route())).toList());
  }

  /** {@code *} matches any run of characters; everything else is literal. */
  static Pattern glob(String pattern) {
    String[] literals = pattern.split("\\*", -1);
    StringBuilder regex = new StringBuilder();
    for (int i = 0; i < literals.length; i++) {
      if (i > 0) {
        regex.append(".*");
      }
      if (!literals[i].isEmpty()) {
        regex.append(Pattern.quote(literals[i]));
      }
    }
    return Pattern.compile(regex.toString(), Pattern.DOTALL);
  }

  boolean isEmpty() {
    return rules.isEmpty();
  }

  /** The route of the first matching rule, or null. */
  String routeFor(String teamId, Map<String, String> keyMetadata, HttpHeaders headers, String model) {
    for (Rule rule : rules) {
      if (rule.matches(teamId, keyMetadata, headers, model)) {
        return rule.route();
      }
    }
    return null;
  }
}
