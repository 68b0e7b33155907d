package dev.spillway.dataplane.protocol.gemini;

import static dev.spillway.dataplane.protocol.canonical.CanonicalParts.invalid;

import dev.spillway.dataplane.json.Json;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * JSON Schema (as OpenAI clients write it for tool parameters and {@code response_format}) rewritten into Gemini's
 * {@code Schema}, a subset of OpenAPI 3.0 that refuses unknown keywords with a 400.
 *
 * <ul>
 *   <li>kept: {@code type} (upper-cased), {@code description}, {@code title}, {@code properties}, {@code required}
 *       (only names that are properties), {@code items}, {@code enum} (values as strings), {@code nullable},
 *       {@code anyOf}, {@code minItems}, {@code maxItems}, {@code minProperties}, {@code maxProperties},
 *       {@code minLength}, {@code maxLength}, {@code pattern}, {@code minimum}, {@code maximum}, {@code default},
 *       {@code example}, {@code propertyOrdering};</li>
 *   <li>rewritten: {@code "type": [T, "null"]} → {@code T} + {@code nullable}; several types → {@code anyOf};
 *       {@code const} → a one-value {@code enum}; {@code oneOf} → {@code anyOf}; an {@code anyOf} member
 *       {@code {"type":"null"}} → {@code nullable}; {@code allOf} → its members merged; {@code examples} → the first
 *       as {@code example}; local {@code $ref}s ({@code #/$defs/…}, {@code #/definitions/…}) inlined; a tuple
 *       {@code items} array → {@code anyOf}; {@code format} kept only where Gemini accepts it ({@code enum} and
 *       {@code date-time} on strings, {@code float}/{@code double}, {@code int32}/{@code int64});</li>
 *   <li>dropped: every other keyword ({@code additionalProperties}, {@code $schema}, {@code $id}, {@code $defs},
 *       {@code exclusiveMinimum}, {@code multipleOf}, {@code uniqueItems}, {@code patternProperties}, …).</li>
 * </ul>
 * Recursive {@code $ref}s cannot be inlined and are a 400.
 */
final class GeminiSchemas {
  private static final int MAX_REF_DEPTH = 16;
  private static final Set<String> COPIED = Set.of("description", "title", "minItems", "maxItems", "minProperties",
      "maxProperties", "minLength", "maxLength", "pattern", "minimum", "maximum", "default", "example",
      "propertyOrdering", "nullable");
  private static final Map<String, Set<String>> FORMATS = Map.of("STRING", Set.of("enum", "date-time"),
      "NUMBER", Set.of("float", "double"), "INTEGER", Set.of("int32", "int64"));

  private GeminiSchemas() {}

  /** Gemini's form of {@code schema}; {@code field} names the request field for a 400. */
  static ObjectNode convert(JsonNode schema, String field) {
    if (schema == null || schema.isNull()) {
      return Json.object();
    }
    if (!schema.isObject()) {
      throw invalid(field, "must be a JSON Schema object");
    }
    return convert(schema, schema, field, 0);
  }

  private static ObjectNode convert(JsonNode node, JsonNode root, String field, int refDepth) {
    if (!node.isObject()) {
      // true/false schemas and garbage: "anything" is the closest Gemini can say.
      return Json.object();
    }
    if (node.path("$ref").isString()) {
      if (refDepth >= MAX_REF_DEPTH) {
        throw invalid(field, "has a recursive $ref, which Gemini schemas cannot express");
      }
      ObjectNode resolved = convert(resolve(node.path("$ref").asString(), root, field), root, field, refDepth + 1);
      if (node.path("description").isString()) {
        resolved.put("description", node.path("description").asString());
      }
      return resolved;
    }
    ObjectNode out = Json.object();
    JsonNode allOf = node.get("allOf");
    if (allOf != null && allOf.isArray()) {
      for (JsonNode member : allOf) {
        merge(out, convert(member, root, field, refDepth));
      }
    }
    for (String key : COPIED) {
      if (node.has(key)) {
        out.set(key, node.get(key));
      }
    }
    if (!out.has("example") && node.path("examples").isArray() && !node.path("examples").isEmpty()) {
      out.set("example", node.path("examples").get(0));
    }
    convertType(node, out);
    if (node.has("const")) {
      ArrayNode values = out.putArray("enum");
      values.add(asText(node.get("const")));
      if (!out.has("type")) {
        out.put("type", "STRING");
      }
    } else if (node.path("enum").isArray()) {
      ArrayNode values = out.putArray("enum");
      for (JsonNode value : node.path("enum")) {
        if (value.isNull()) {
          out.put("nullable", true);
        } else {
          values.add(asText(value));
        }
      }
      if (!out.has("type")) {
        out.put("type", "STRING");
      }
    }
    String type = out.path("type").asString("");
    String format = node.path("format").asString("");
    if (FORMATS.getOrDefault(type, Set.of()).contains(format)) {
      out.put("format", format);
    }
    if (node.path("properties").isObject()) {
      ObjectNode properties = out.has("properties") ? (ObjectNode) out.get("properties") : out.putObject("properties");
      node.path("properties").forEachEntry((name, property) -> properties.set(name,
          convert(property, root, field + ".properties." + name, refDepth)));
    }
    if (node.path("required").isArray()) {
      Set<String> required = new LinkedHashSet<>();
      out.path("required").forEach(r -> required.add(r.asString()));
      node.path("required").forEach(r -> {
        if (r.isString() && out.path("properties").has(r.asString())) {
          required.add(r.asString());
        }
      });
      ArrayNode names = out.putArray("required");
      required.forEach(names::add);
    }
    JsonNode items = node.get("items");
    if (items != null && items.isObject()) {
      out.set("items", convert(items, root, field + ".items", refDepth));
    } else if (items != null && items.isArray() && !items.isEmpty()) {
      ArrayNode anyOf = out.putObject("items").putArray("anyOf");
      items.forEach(item -> anyOf.add(convert(item, root, field + ".items", refDepth)));
    }
    if (!out.has("type") && !out.has("anyOf")) {
      if (out.has("properties")) {
        out.put("type", "OBJECT");
      } else if (out.has("items")) {
        out.put("type", "ARRAY");
      }
    }
    List<JsonNode> alternatives = new ArrayList<>();
    for (String key : new String[] {"anyOf", "oneOf"}) {
      if (node.path(key).isArray()) {
        node.path(key).forEach(alternatives::add);
      }
    }
    if (!alternatives.isEmpty()) {
      ArrayNode anyOf = Json.array();
      for (JsonNode alternative : alternatives) {
        if ("null".equals(alternative.path("type").asString(""))) {
          out.put("nullable", true);
        } else {
          anyOf.add(convert(alternative, root, field, refDepth));
        }
      }
      if (anyOf.size() == 1 && anyOf.get(0).isObject()) {
        merge(out, (ObjectNode) anyOf.get(0));
      } else if (!anyOf.isEmpty()) {
        out.set("anyOf", anyOf);
      }
    }
    return out;
  }

  private static void convertType(JsonNode node, ObjectNode out) {
    JsonNode type = node.get("type");
    if (type == null) {
      return;
    }
    List<String> types = new ArrayList<>();
    if (type.isString()) {
      types.add(type.asString());
    } else if (type.isArray()) {
      type.forEach(t -> types.add(t.asString("")));
    }
    if (types.size() > 1 && types.remove("null")) {
      out.put("nullable", true);
    }
    if (types.size() == 1) {
      out.put("type", types.get(0).toUpperCase(Locale.ROOT));
    } else if (types.size() > 1) {
      ArrayNode anyOf = out.putArray("anyOf");
      types.forEach(t -> anyOf.addObject().put("type", t.toUpperCase(Locale.ROOT)));
    }
  }

  private static JsonNode resolve(String ref, JsonNode root, String field) {
    for (String prefix : new String[] {"#/$defs/", "#/definitions/"}) {
      if (ref.startsWith(prefix)) {
        JsonNode target = root.path(prefix.substring(2, prefix.length() - 1)).path(ref.substring(prefix.length()));
        if (target.isObject()) {
          return target;
        }
      }
    }
    if (ref.equals("#")) {
      return root;
    }
    throw invalid(field, "has a $ref Spillway cannot resolve for Gemini: " + ref
        + " (only local #/$defs/… and #/definitions/… references are inlined)");
  }

  /** Shallow merge for allOf and single-member anyOf: properties and required lists are unioned. */
  private static void merge(ObjectNode into, ObjectNode from) {
    from.forEachEntry((key, value) -> {
      if (key.equals("properties") && into.path("properties").isObject() && value.isObject()) {
        ((ObjectNode) into.get("properties")).setAll((ObjectNode) value);
      } else if (key.equals("required") && into.path("required").isArray() && value.isArray()) {
        Set<String> names = new LinkedHashSet<>();
        into.path("required").forEach(r -> names.add(r.asString()));
        value.forEach(r -> names.add(r.asString()));
        ArrayNode merged = into.putArray("required");
        names.forEach(merged::add);
      } else if (!into.has(key)) {
        into.set(key, value);
      }
    });
  }

  private static String asText(JsonNode value) {
    return value.isString() ? value.asString() : value.toString();
  }
}
