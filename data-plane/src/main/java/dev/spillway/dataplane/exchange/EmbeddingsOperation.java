package dev.spillway.dataplane.exchange;

import dev.spillway.config.ProviderType;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.EmbeddingsCall;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.protocol.ProviderAdapter;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code POST /v1/embeddings}. The OpenAI family answers natively; the adapter of any other provider type translates
 * to and from OpenAI's embeddings shape. The answer is then put in the encoding the client asked for: the OpenAI SDKs
 * ask for base64 (little-endian float32) by default, and a provider that answered floats is encoded here (and the
 * other way round). A provider answer that already has the right encoding passes through byte for byte.
 */
final class EmbeddingsOperation implements Operation {
  private static final int MAX_ANSWER_BYTES = 256 * 1024 * 1024;

  private final EmbeddingsCall call;
  /** Whether answers are described for the trace. */
  private boolean describe;
  /** The current attempt's answer facts (its model); null when not described. */
  private AnswerFacts facts;

  EmbeddingsOperation(EmbeddingsCall call) {
    this.call = Objects.requireNonNull(call, "call");
  }

  @Override
  public String requestedModel() {
    return call.requestedModel();
  }

  @Override
  public ObjectNode canonical() {
    return call.original();
  }

  @Override
  public UpstreamRequest request(ProviderAdapter adapter, RouteTable.Target target) {
    ProviderType type = target.provider().type();
    if (type == ProviderType.ANTHROPIC) {
      throw GatewayError.INVALID_REQUEST.exception("Anthropic has no embeddings API; route embeddings to an "
          + "openai, azure-openai, openai-compatible, gemini or mock provider", "model");
    }
    if (adapter == null) {
      throw GatewayError.INVALID_REQUEST.exception("provider type " + type.wireName()
          + " does not offer embeddings yet", "model");
    }
    if (call.tokenInput() && !adapter.speaks(InboundApi.OPENAI_EMBEDDINGS, target.provider())) {
      throw GatewayError.INVALID_REQUEST.exception("input: token arrays reach only providers that speak the "
          + "OpenAI embeddings API (openai, azure-openai, openai-compatible, mock); send text", "input");
    }
    facts = null;
    return adapter.embeddings(target.provider(), target.model(), call.original().deepCopy());
  }

  @Override
  public void describeAnswers() {
    describe = true;
  }

  @Override
  public AnswerFacts answerFacts() {
    return facts;
  }

  @Override
  public int maxAnswerBytes() {
    return MAX_ANSWER_BYTES;
  }

  @Override
  public Answer answer(ProviderAdapter adapter, RouteTable.Target target, CompositeByteBuf body) {
    JsonNode parsed = Json.parse(ByteBufUtil.getBytes(body));
    ObjectNode list = adapter.embeddingsResponse(parsed, target.model());
    if (describe) {
      facts = new AnswerFacts(InboundApi.OPENAI_EMBEDDINGS);
      facts.canonical(list);
    }
    Usage usage = Usage.fromOpenAi(list.get("usage"));
    if (list == parsed && !reencode(list)) {
      return new Answer(body, null, usage);
    }
    body.release();
    ByteBuf encoded = Unpooled.wrappedBuffer(Json.bytes(list));
    return new Answer(encoded, null, usage);
  }

  /**
   * Puts every embedding in the client's encoding; true when anything changed. Base64 is little-endian float32,
   * as OpenAI encodes it.
   */
  private boolean reencode(ObjectNode list) {
    boolean changed = false;
    for (JsonNode item : list.path("data")) {
      if (!(item instanceof ObjectNode entry)) {
        continue;
      }
      JsonNode embedding = entry.get("embedding");
      if (call.base64() && embedding != null && embedding.isArray()) {
        entry.put("embedding", toBase64(embedding));
        changed = true;
      } else if (!call.base64() && embedding != null && embedding.isString()) {
        entry.set("embedding", fromBase64(embedding.asString()));
        changed = true;
      }
    }
    return changed;
  }

  static String toBase64(JsonNode floats) {
    ByteBuffer bytes = ByteBuffer.allocate(floats.size() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (JsonNode value : floats) {
      bytes.putFloat((float) value.asDouble());
    }
    return Base64.getEncoder().encodeToString(bytes.array());
  }

  static ArrayNode fromBase64(String encoded) {
    ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(encoded)).order(ByteOrder.LITTLE_ENDIAN);
    ArrayNode floats = Json.array();
    while (bytes.remaining() >= Float.BYTES) {
      floats.add(bytes.getFloat());
    }
    return floats;
  }
}
