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

  @Test
  void findsTheFirstOfEachKeyAsAPlainSearchDoes() {
    java.util.Random random = new java.util.Random(7);
    String[] pieces = {"\"usage\"", "\"error\"", "\"", "u", "usage", "error", "\"usag", "e\"", "#", "\\\"", "x",
        "{\"a\":1}", "é", "\"erro", "r\""};
    for (int round = 0; round < 20_000; round++) {
      StringBuilder data = new StringBuilder();
      for (int n = random.nextInt(30); n > 0; n--) {
        data.append(pieces[random.nextInt(pieces.length)]);
      }
      String text = data.toString();
      byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      SseEvent event = new SseEvent(null, text);

      assertThat(event.usageKeyIndex()).as(text).isEqualTo(indexOf(bytes, "\"usage\""));
      assertThat(event.hasErrorKey()).as(text).isEqualTo(indexOf(bytes, "\"error\"") >= 0);
    }
  }

  /** The plain search the key scan must agree with. */
  private static int indexOf(byte[] data, String ascii) {
    byte[] key = ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + key.length <= data.length; i++) {
      for (int j = 0; j < key.length; j++) {
        if (data[i + j] != key[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
