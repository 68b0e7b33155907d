package dev.spillway.controlplane.declarative;

import dev.spillway.controlplane.common.ApiException;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * Parses {@code spillway.yaml} safely (no custom tags, bounded aliases and size) and maps it strictly: an unknown
 * key is an error naming it, because a typo silently ignored is a config silently not applied.
 */
public final class ConfigFileParser {
  static final int MAX_BYTES = 10 * 1024 * 1024;
  private static final JsonMapper MAPPER = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

  private ConfigFileParser() {}

  public static ConfigFile parse(String yaml) {
    if (yaml == null || yaml.isBlank()) {
      throw ApiException.invalid("config", "is empty");
    }
    if (yaml.length() > MAX_BYTES) {
      throw ApiException.invalid("config", "is larger than " + MAX_BYTES + " characters");
    }
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(20);
    options.setAllowDuplicateKeys(false);
    options.setCodePointLimit(MAX_BYTES);
    Object document;
    try {
      document = new Yaml(new SafeConstructor(options)).load(yaml);
    } catch (YAMLException e) {
      throw ApiException.invalid("config", "is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (!(document instanceof Map<?, ?>)) {
      throw ApiException.invalid("config", "must be a mapping with teams, providers, routes, virtual_keys, routing_rules, org");
    }
    JsonNode tree = MAPPER.valueToTree(plain(document));
    try {
      return MAPPER.treeToValue(tree, ConfigFile.class);
    } catch (DatabindException e) {
      String field = e.getPath().stream()
          .map(ref -> ref.getPropertyName() != null ? ref.getPropertyName() : "[" + ref.getIndex() + "]")
          .collect(Collectors.joining(".")).replace(".[", "[");
      String reason = e.getMessage() != null && e.getMessage().startsWith("Unrecognized property")
          ? "is not a known setting" : "has the wrong type or format";
      throw ApiException.invalid(field.isEmpty() ? "config" : field, reason);
    }
  }

  /** YAML timestamps become ISO strings and keys become strings, so JSON mapping sees what the file said. */
  private static Object plain(Object value) {
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> result = new LinkedHashMap<>();
      map.forEach((k, v) -> result.put(String.valueOf(k), plain(v)));
      return result;
    }
    if (value instanceof List<?> list) {
      List<Object> result = new ArrayList<>(list.size());
      list.forEach(v -> result.add(plain(v)));
      return result;
    }
    if (value instanceof Date date) {
      return date.toInstant().toString();
    }
    return value;
  }
}
