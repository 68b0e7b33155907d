package dev.spillway.dataplane.json;

import dev.spillway.dataplane.error.GatewayError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.JsonRecyclerPools;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.MissingNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The data plane's JSON: one shared mapper with limits that keep hostile input cheap to refuse (nesting depth,
 * number and string sizes), and helpers that turn parse failures into 400s. A parse failure is reported in plain
 * words with its line and column ({@link JsonErrors}), never with Jackson's own message.
 */
public final class Json {
  /** Deep enough for real JSON schemas in tools and response_format, shallow enough to bound recursion. */
  public static final int MAX_NESTING_DEPTH = 128;
  /** Characters of one number; longer ones are refused before any (quadratic) conversion. */
  public static final int MAX_NUMBER_LENGTH = 100;
  /** Characters of one string value (images and documents arrive as base64 strings). */
  public static final int MAX_STRING_LENGTH = 64 * 1024 * 1024;

  private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
          // Parsing and writing run on a few long-lived event-loop threads: a per-thread buffer pool avoids the
          // default pool's concurrent deque on every parse and write (about 3 % of a request's CPU under load).
          .recyclerPool(JsonRecyclerPools.threadLocalPool())
          .streamReadConstraints(StreamReadConstraints.builder()
              .maxNestingDepth(MAX_NESTING_DEPTH)
              .maxNumberLength(MAX_NUMBER_LENGTH)
              .maxStringLength(MAX_STRING_LENGTH)
              .build())
          .build())
      .build();

  private Json() {}

  public static JsonMapper mapper() {
    return MAPPER;
  }

  public static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  public static ArrayNode array() {
    return MAPPER.createArrayNode();
  }

  /** Parses a request body that must be a JSON object; anything else is a 400 naming the problem. */
  public static ObjectNode parseObject(ByteBuf body) {
    if (!body.isReadable()) {
      throw GatewayError.INVALID_REQUEST.exception("request body is empty; send a JSON object");
    }
    JsonNode node;
    try {
      node = readSingleValue(parser(new ByteBufInputStream(body.duplicate())));
    } catch (InvalidJsonException e) {
      throw GatewayError.INVALID_REQUEST.exception("request body is " + e.getMessage());
    }
    if (node == null || !node.isObject()) {
      throw GatewayError.INVALID_REQUEST.exception("request body must be a JSON object");
    }
    return (ObjectNode) node;
  }

  /**
   * A parser over {@code in}. Making one already reads the first bytes to detect the text's encoding (JSON may be
   * UTF-8, -16 or -32), and bytes that fit none fail here, before any value is read: that is invalid JSON too.
   */
  private static JsonParser parser(java.io.InputStream in) {
    try {
      return MAPPER.createParser(in);
    } catch (JacksonException e) {
      throw new InvalidJsonException("its first bytes are in no encoding JSON allows (UTF-8, "
          + "UTF-16, UTF-32)", null);
    }
  }

  /**
   * Reads one JSON value (null when there is none) and checks that nothing follows it; closes {@code parser}. A
   * failure becomes an {@link InvalidJsonException} located where the parser stopped, also for limits whose
   * exception carries no location (nesting depth, number length).
   */
  private static JsonNode readSingleValue(JsonParser parser) {
    try (parser) {
      try {
        JsonNode node = MAPPER.readTree(parser);
        if (node != null && parser.nextToken() != null) {
          throw new InvalidJsonException("unexpected content after the JSON value", parser.currentTokenLocation());
        }
        return node;
      } catch (JacksonException e) {
        // Located before closing: a closed parser reports the end of its input.
        throw new InvalidJsonException(e, parser);
      }
    }
  }

  /**
   * The value at the parser's current token as a tree, built directly: a databind reader per field costs more
   * than the field itself. Nesting is bounded by the parser's own depth limit.
   */
  private static JsonNode value(JsonParser parser) {
    JsonNodeFactory nodes = MAPPER.getNodeFactory();
    return switch (parser.currentToken()) {
      case START_OBJECT -> {
        ObjectNode object = nodes.objectNode();
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
          String name = parser.currentName();
          parser.nextToken();
          object.set(name, value(parser));
        }
        yield object;
      }
      case START_ARRAY -> {
        ArrayNode array = nodes.arrayNode();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          array.add(value(parser));
        }
        yield array;
      }
      case VALUE_STRING -> nodes.textNode(parser.getString());
      case VALUE_NUMBER_INT -> switch (parser.getNumberType()) {
        case INT -> nodes.numberNode(parser.getIntValue());
        case LONG -> nodes.numberNode(parser.getLongValue());
        default -> nodes.numberNode(parser.getBigIntegerValue());
      };
      case VALUE_NUMBER_FLOAT -> nodes.numberNode(parser.getDoubleValue());
      case VALUE_TRUE -> nodes.booleanNode(true);
      case VALUE_FALSE -> nodes.booleanNode(false);
      case VALUE_NULL -> nodes.nullNode();
      default -> throw new IllegalArgumentException("unexpected JSON token " + parser.currentToken());
    };
  }

  /**
   * Parses one JSON value (a provider's answer, an event, a string holding JSON).
   *
   * @throws InvalidJsonException when {@code bytes} are not one JSON value; its message says why in plain words
   */
  public static JsonNode parse(byte[] bytes) {
    JsonNode node = readSingleValue(parser(new java.io.ByteArrayInputStream(bytes)));
    return node == null ? MissingNode.getInstance() : node;
  }

  /**
   * Parses a JSON object but keeps only the named top-level fields (null keeps all): the others are read and
   * checked but never become nodes, which makes reading, say, the usage of a large answer cheap. Does not release
   * {@code body}; a body that is not a JSON object is refused like {@link #parse}, with an
   * {@link IllegalArgumentException} ({@link InvalidJsonException} when it is not JSON at all).
   */
  public static ObjectNode parseFields(ByteBuf body, Set<String> fields) {
    try (JsonParser parser = MAPPER.createParser((java.io.InputStream) new ByteBufInputStream(body.duplicate()))) {
      return fields(parser, fields);
    }
  }

  private static ObjectNode fields(JsonParser parser, Set<String> fields) {
    try {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("not a JSON object");
      }
      ObjectNode kept = MAPPER.createObjectNode();
      while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
        String name = parser.currentName();
        parser.nextToken();
        if (fields == null || fields.contains(name)) {
          kept.set(name, value(parser));
        } else {
          parser.skipChildren();
        }
      }
      if (parser.currentToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
        throw new IllegalArgumentException("not a single JSON object");
      }
      return kept;
    } catch (JacksonException e) {
      throw new InvalidJsonException(e, parser);
    }
  }

  public static byte[] bytes(JsonNode node) {
    return MAPPER.writeValueAsBytes(node);
  }
}
