package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.json.Json;
import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.ClientFormat;
import dev.spillway.dataplane.protocol.ClientStreamEncoder;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.protocol.canonical.CompletionReplay;
import dev.spillway.dataplane.protocol.ProviderAdapter;
import dev.spillway.dataplane.routing.RouteTable;
import dev.spillway.dataplane.upstream.UpstreamRequest;
import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A generation request in any client API (chat completions, completions, responses, Anthropic messages). When the
 * provider speaks the client's API the body passes through (the native path); otherwise the adapter translates
 * through the canonical form (OpenAI chat completions) and the client format writes the answer.
 */
final class ChatOperation implements Operation {
  private static final int MAX_ANSWER_BYTES = 64 * 1024 * 1024;

  private final ChatCall call;
  private final ClientFormat format;
  /** Whether the current attempt takes the native path; set when its request is built. */
  private boolean nativePath;
  /** Whether answers are kept for the cache. */
  private boolean capture;
  /** The current attempt's answer, kept for the cache; null when not kept. */
  private CapturedAnswer captured;
  /** Whether answers are described for the trace. */
  private boolean describe;
  /** The current attempt's answer facts; null when not described. */
  private AnswerFacts facts;

  ChatOperation(ChatCall call, ClientFormat format) {
    this.call = Objects.requireNonNull(call, "call");
    this.format = Objects.requireNonNull(format, "format");
  }

  @Override
  public String requestedModel() {
    return call.requestedModel();
  }

  @Override
  public ObjectNode canonical() {
    return call.canonical();
  }

  @Override
  public boolean stream() {
    return call.stream();
  }

  /** OpenAI's {@code prompt_cache_key} or {@code user}, Anthropic's {@code metadata.user_id}. */
  @Override
  public String sessionId() {
    ObjectNode body = call.original();
    if (call.api() == InboundApi.ANTHROPIC_MESSAGES) {
      return text(body.path("metadata").get("user_id"));
    }
    String cacheKey = text(body.get("prompt_cache_key"));
    return cacheKey != null ? cacheKey : text(body.get("user"));
  }

  private static String text(tools.jackson.databind.JsonNode node) {
    return node != null && node.isString() && !node.asString().isEmpty() ? node.asString() : null;
  }

  @Override
  public UpstreamRequest request(ProviderAdapter adapter, RouteTable.Target target) {
    if (adapter == null) {
      throw new IllegalStateException("no adapter for provider type " + target.provider().type().wireName());
    }
    nativePath = adapter.speaks(call.api(), target.provider());
    facts = null;
    if (!nativePath && call.nativeOnlyReason() != null) {
      throw GatewayError.INVALID_REQUEST.exception(call.nativeOnlyReason());
    }
    return nativePath ? adapter.passthrough(target.provider(), target.model(), call)
        : adapter.chat(target.provider(), target.model(), call);
  }

  @Override
  public StreamRelay relay(ProviderAdapter adapter, RouteTable.Target target, HttpResponse head,
      UnaryOperator<String> scrub) {
    if (!call.stream() || !isStream(head)) {
      return null;
    }
    StreamCapture streamCapture = null;
    if (capture) {
      // A native OpenAI chat stream is made of canonical chunks; any other native stream is read back by the
      // provider's own decoder (the provider speaks the client's API on the native path).
      // The native stream of an API the canonical form does not read back (completions, Responses) is kept as the
      // client got it, for the request log only.
      streamCapture = nativePath && !cacheable() ? StreamCapture.inClientApi(call.api())
          : new StreamCapture(nativePath && call.api() != InboundApi.OPENAI_CHAT
              ? () -> adapter.newStreamDecoder(target.model()) : null);
    }
    captured = streamCapture;
    facts = describe ? new AnswerFacts(call.api()) : null;
    return nativePath
        ? new NativeStreamRelay(adapter, call, format.newStreamEncoder(call), scrub, streamCapture, facts)
        : new TranslatingStreamRelay(adapter.newStreamDecoder(target.model()), format.newStreamEncoder(call),
            streamCapture, facts);
  }

  @Override
  public int maxAnswerBytes() {
    return MAX_ANSWER_BYTES;
  }

  @Override
  public Answer answer(ProviderAdapter adapter, RouteTable.Target target, CompositeByteBuf body) {
    if (nativePath) {
      Usage usage;
      if (describe) {
        Set<String> fields = new HashSet<>(adapter.nativeUsageFields());
        fields.addAll(AnswerFacts.NATIVE_FIELDS);
        ObjectNode read = Json.parseFields(body, fields);
        usage = adapter.nativeUsage(read);
        facts = new AnswerFacts(call.api());
        facts.nativeAnswer(read);
      } else {
        usage = adapter.nativeUsage(Json.parseFields(body, adapter.nativeUsageFields()));
      }
      if (capture) {
        byte[] copy = ByteBufUtil.getBytes(body);
        String model = target.model();
        captured = cacheable() ? () -> adapter.chatResponse(Json.parse(copy), model)
            : CapturedAnswer.ofClientBytes(call.api(), copy);
      }
      return new Answer(body, null, usage);
    }
    JsonNode parsed = Json.parse(ByteBufUtil.getBytes(body));
    body.release();
    ObjectNode completion = adapter.chatResponse(parsed, target.model());
    if (describe) {
      facts = new AnswerFacts(call.api());
      facts.canonical(completion);
    }
    if (capture) {
      ObjectNode kept = completion.deepCopy(); // the client's format may reshape the one it encodes
      captured = () -> kept;
    }
    return new Answer(Unpooled.wrappedBuffer(Json.bytes(format.encodeResponse(completion, call))), null,
        Usage.fromOpenAi(completion.get("usage")));
  }

  @Override
  public boolean cacheable() {
    return call.api() == InboundApi.OPENAI_CHAT || call.api() == InboundApi.ANTHROPIC_MESSAGES;
  }

  @Override
  public boolean capturesAnswers() {
    return true;
  }

  @Override
  public void captureForCache() {
    capture = true;
  }

  @Override
  public CapturedAnswer captured() {
    return captured;
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
  public byte[] replay(ObjectNode completion, String id) {
    return Json.bytes(format.encodeResponse(fresh(completion, id), call));
  }

  @Override
  public byte[] replayStream(ObjectNode completion, String id) {
    ClientStreamEncoder encoder = format.newStreamEncoder(call);
    StringBuilder out = new StringBuilder(completion.toString().length() * 2 + 256);
    for (ObjectNode chunk : CompletionReplay.chunks(completion, id, System.currentTimeMillis() / 1000)) {
      encoder.onChunk(chunk, out);
    }
    encoder.onEnd(out);
    return out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The stored completion under this request's id and time: a replayed answer is a new answer to the client. */
  private static ObjectNode fresh(ObjectNode completion, String id) {
    ObjectNode copy = completion.deepCopy();
    copy.put("id", id);
    copy.put("created", System.currentTimeMillis() / 1000);
    return copy;
  }

  private static boolean isStream(HttpResponse response) {
    String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE);
    return type != null && (type.regionMatches(true, 0, "text/event-stream", 0, 17)
        || type.regionMatches(true, 0, "application/vnd.amazon.eventstream", 0, 34));
  }
}
