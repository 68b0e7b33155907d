package dev.spillway.dataplane.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spillway.dataplane.protocol.framing.SseEvent;
import org.junit.jupiter.api.Test;

/** Which native events end a stream, so that a client leaving after one does not cancel the provider's exchange. */
class NativeStreamRelayTerminalTest {

  @Test
  void theTerminalEventOfEachNativeApiEndsTheStream() {
    assertThat(NativeStreamRelay.isTerminal(new SseEvent(null, "[DONE]"))).isTrue();
    assertThat(NativeStreamRelay.isTerminal(new SseEvent("message_stop", "{\"type\":\"message_stop\"}"))).isTrue();
    assertThat(NativeStreamRelay.isTerminal(new SseEvent("response.completed", "{}"))).isTrue();
    assertThat(NativeStreamRelay.isTerminal(new SseEvent("response.incomplete", "{}"))).isTrue();
    assertThat(NativeStreamRelay.isTerminal(new SseEvent("response.failed", "{}"))).isTrue();
  }

  @Test
  void contentAndUsageEventsDoNot() {
    assertThat(NativeStreamRelay.isTerminal(new SseEvent(null, "{\"choices\":[{\"delta\":{\"content\":\"[DONE]\"}}]}")))
        .isFalse();
    assertThat(NativeStreamRelay.isTerminal(new SseEvent(null, "{\"choices\":[],\"usage\":{}}"))).isFalse();
    assertThat(NativeStreamRelay.isTerminal(new SseEvent("message_delta", "{}"))).isFalse();
    assertThat(NativeStreamRelay.isTerminal(new SseEvent("content_block_stop", "{}"))).isFalse();
    assertThat(NativeStreamRelay.isTerminal(new SseEvent("response.output_text.delta", "{}"))).isFalse();
  }
}
