package dev.spillway.dataplane.exchange;

import dev.spillway.dataplane.protocol.ChatCall;
import dev.spillway.dataplane.protocol.InboundApi;
import dev.spillway.dataplane.error.GatewayError;
import dev.spillway.dataplane.protocol.ProviderAdapter;
import dev.spillway.dataplane.protocol.ClientStreamEncoder;
import dev.spillway.dataplane.protocol.ProviderStreamError;
import dev.spillway.dataplane.protocol.StreamTranscript;
import dev.spillway.dataplane.protocol.framing.SseDecoder;
import dev.spillway.dataplane.protocol.framing.SseEvent;
import dev.spillway.dataplane.usage.Usage;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;

/**
 * The provider speaks the client's API: events are re-emitted as they are, except that a usage chunk Spillway
 * asked for on the client's behalf (for accounting) is dropped when the client did not ask for it, and that an error
 * event is scrubbed of the credentials Spillway sent (a provider or a proxy before it may echo them).
 */
final class NativeStreamRelay implements StreamRelay {
  private static final byte[] EMPTY_CHOICES = ascii("\"choices\":[]");
  private static final byte[] DONE = ascii("[DONE]");

  private final SseDecoder sse = new SseDecoder();
  private final ProviderAdapter adapter;
  private final ChatCall call;
  private final ClientStreamEncoder errors;
  private final UnaryOperator<String> scrub;
  private final StreamTranscript transcript = new StreamTranscript();
  private Usage usage = Usage.NONE;
  private boolean terminal;
  private boolean started;
  /** Where the events are kept for the cache, or null. */
  private final StreamCapture capture;
  /** Where the answer's model and finish reasons are noted for the trace, or null. */
  private final AnswerFacts facts;

  NativeStreamRelay(ProviderAdapter adapter, ChatCall call, ClientStreamEncoder errors, UnaryOperator<String> scrub,
      StreamCapture capture, AnswerFacts facts) {
    this.adapter = adapter;
    this.call = call;
    this.errors = errors;
    this.scrub = scrub;
    this.capture = capture;
    this.facts = facts;
  }

  @Override
  public void feed(ByteBuf input, ByteBuf out) {
    sse.decode(input, event -> relay(event, out));
  }

  @Override
  public void finish(ByteBuf out) {
    sse.finish(event -> relay(event, out));
  }

  /** Looks at the event's bytes only; most events (content deltas) are copied out without being decoded. */
  private void relay(SseEvent event, ByteBuf out) {
    terminal |= isTerminal(event);
    Usage reported = adapter.nativeStreamUsage(event);
    if (reported != null) {
      usage = merge(usage, reported);
      if ((call.api() == InboundApi.OPENAI_CHAT || call.api() == InboundApi.OPENAI_COMPLETIONS)
          && !call.includeUsage() && event.dataContains(EMPTY_CHOICES)) {
        return;
      }
    }
    if (isError(event)) {
      if (!started) {
        // Nothing reached the client yet: the attempt fails, and another target may serve the request.
        throw new ProviderStreamError("the stream began with an error: " + scrub.apply(event.data()));
      }
      event = new SseEvent(event.event(), scrub.apply(event.data()));
    } else if (!started) {
      started = !isPreamble(event);
    }
    event.writeTo(out);
    transcript.addEvent(event.dataBytes());
    if (capture != null) {
      capture.event(event.event(), event.dataBytes());
    }
    if (facts != null) {
      facts.nativeEvent(event);
    }
  }

  /**
   * An error the provider reports in the stream: Anthropic's and the Responses API's {@code error} events, OpenAI
   * chat's {@code data: {"error": …}}, the Responses API's {@code response.failed}.
   */
  private static boolean isError(SseEvent event) {
    String type = event.event();
    if (type != null && !type.isEmpty()) {
      return type.equals("error") || type.equals("response.failed");
    }
    return event.hasErrorKey();
  }

  /** Events that open a stream before its answer begins. */
  private static boolean isPreamble(SseEvent event) {
    String type = event.event();
    return type != null && (type.equals("message_start") || type.equals("ping") || type.equals("response.created")
        || type.equals("response.in_progress"));
  }

  @Override
  public boolean started() {
    return started;
  }

  /** OpenAI chat and completions end with {@code [DONE]}; Anthropic with {@code message_stop}; Responses with a
   * {@code response.completed} (or {@code .incomplete} / {@code .failed}) event. */
  static boolean isTerminal(SseEvent event) {
    String type = event.event();
    if (type != null && !type.isEmpty()) {
      return type.equals("message_stop") || type.equals("response.completed") || type.equals("response.incomplete")
          || type.equals("response.failed");
    }
    return event.dataEquals(DONE);
  }

  @Override
  public boolean sawTerminalEvent() {
    return terminal;
  }

  /** Anthropic reports input tokens at the start and output tokens at the end; keep the larger of each. */
  private static Usage merge(Usage a, Usage b) {
    return new Usage(Math.max(a.inputTokens(), b.inputTokens()), Math.max(a.outputTokens(), b.outputTokens()),
        Math.max(a.cachedInputTokens(), b.cachedInputTokens()), Math.max(a.reasoningTokens(), b.reasoningTokens()));
  }

  @Override
  public void error(GatewayError error, String message, ByteBuf out) {
    StringBuilder text = new StringBuilder();
    errors.onError(error, message, text);
    out.writeBytes(text.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public Usage usage() {
    return usage;
  }

  @Override
  public StreamTranscript transcript() {
    return transcript;
  }
}
