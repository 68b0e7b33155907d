package dev.spillway.dataplane.protocol.framing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a native relay asks of every event, answered from its bytes. */
class SseEventTest {
  @Test
  void findsTheUsageAndErrorKeysInOnePass() {
    SseEvent chunk = new SseEvent(null, "{\"choices\":[{\"delta\":{\"content\":\"usage error\"}}],\"usage\":null}");

    assertThat(chunk.usageKeyIndex()).isEqualTo(chunk.data().indexOf("\"usage\""));
    assertThat(chunk.hasErrorKey()).as("a word in the content is not a key").isFalse();
    assertThat(new SseEvent(null, "{\"error\":{\"message\":\"x\"}}").hasErrorKey()).isTrue();
  }

  @Test
  void onlyAUsageObjectIsWorthParsing() {
    assertThat(new SseEvent(null, "{\"choices\":[],\"usage\":{\"prompt_tokens\":3}}").hasUsageObject()).isTrue();
    assertThat(new SseEvent(null, "{\"choices\":[],\"usage\" : {\"prompt_tokens\":3}}").hasUsageObject()).isTrue();
    assertThat(new SseEvent(null, "{\"choices\":[{\"delta\":{}}],\"usage\":null}").hasUsageObject()).isFalse();
    assertThat(new SseEvent(null, "{\"choices\":[{\"delta\":{}}]}").hasUsageObject()).isFalse();
    assertThat(new SseEvent(null, "\"usage\"").hasUsageObject()).isFalse();
  }
}
