package dev.spillway.dataplane.json;

import dev.spillway.dataplane.error.GatewayError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The data plane's JSON: one shared mapper with limits that keep hostile input cheap to refuse (nesting depth,
 * number and string sizes), and helpers that turn parse failures into 400s.
 */
public final class Json {
  /** Deep enough for real JSON schemas in tools and response_format, shallow enough to bound recursion. */
  public static final int MAX_NESTING_DEPTH = 128;

  private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
          .streamReadConstraints(StreamReadConstraints.builder()
              .maxNestingDepth(MAX_NESTING_DEPTH)
              .maxNumberLength(100)
              .maxStringLength(64 * 1024 * 1024)
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
    try (ByteBufInputStream in = new ByteBufInputStream(body.duplicate())) {
      node = MAPPER.readTree(in);
    } catch (JacksonException e) {
      throw GatewayError.INVALID_REQUEST.exception("request body is not valid JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw GatewayError.INVALID_REQUEST.exception("request body could not be read");
    }
    if (node == null || !node.isObject()) {
      throw GatewayError.INVALID_REQUEST.exception("request body must be a JSON object");
    }
    return (ObjectNode) node;
  }

  public static JsonNode parse(byte[] bytes) {
    return MAPPER.readTree(bytes);
  }

  public static byte[] bytes(JsonNode node) {
    return MAPPER.writeValueAsBytes(node);
  }
}
